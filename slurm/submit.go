package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Submit submits a batch script with `sbatch --parsable`, the script on its
// standard input, and returns the job id. The cluster is the one sbatch finds
// (SLURM_CONF or /etc/slurm/slurm.conf).
func Submit(ctx context.Context, script string) (jobID string, err error) {
	out, err := command(ctx, script, "sbatch", "--parsable")
	if err != nil {
		return "", err
	}
	// --parsable prints "ID" or "ID;CLUSTER".
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if !isDigits(id) {
		return "", fmt.Errorf("slurm: sbatch --parsable printed %q, not a job id", strings.TrimSpace(out))
	}
	return id, nil
}

// Requeue puts job jobID back in the queue with `scontrol requeue`: a running
// job is ended (its steps get SIGTERM, then SIGKILL after KillWait) and
// starts again under the same id once resources are free and Slurm's requeue
// delay has passed.
func Requeue(ctx context.Context, jobID string) error {
	if !isDigits(jobID) {
		return fmt.Errorf("slurm: requeue: job id %q is not a number", jobID)
	}
	_, err := command(ctx, "", "scontrol", "requeue", jobID)
	return err
}

// command runs a Slurm command and returns its standard output; an error
// names the command and carries its standard error.
func command(ctx context.Context, stdin, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.String(), nil
	}
	what := strings.Join(append([]string{name}, args...), " ")
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("slurm: %s: %s is not installed or not in PATH", what, name)
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		return "", fmt.Errorf("slurm: %s: %v: %s", what, err, msg)
	}
	return "", fmt.Errorf("slurm: %s: %w", what, err)
}

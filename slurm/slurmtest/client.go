package slurmtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// command runs a Slurm client command against the cluster: on this
// machine, or through c.prefix (a multi-node cluster's head namespace).
func (c *Cluster) command(ctx context.Context, name string, args ...string) (string, error) {
	path, err := lookPath(name)
	if err != nil {
		return "", err
	}
	argv := append([]string{path}, args...)
	if len(c.prefix) > 0 {
		argv = append(slices.Clone(c.prefix), argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.Conf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Run runs a Slurm client command (scancel, squeue, scontrol …) against the
// cluster and returns its standard output; a failure fails the test.
func (c *Cluster) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.command(ctx, name, args...)
	if err != nil {
		t.Fatalf("slurmtest: %v", err)
	}
	return out
}

// Job returns the fields of `scontrol show job -o ID`: JobState, Restarts,
// ExitCode, TimeLimit, Requeue, NumTasks, StdOut, …
func (c *Cluster) Job(id string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.command(ctx, "scontrol", "show", "job", "-o", id)
	if err != nil {
		return nil, err
	}
	return ParseFields(out), nil
}

// ParseFields splits scontrol's one-line KEY=VALUE output; a word without
// '=' belongs to the value before it (a value with spaces).
func ParseFields(line string) map[string]string {
	m := map[string]string{}
	last := ""
	for _, w := range strings.Fields(line) {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			if last != "" {
				m[last] += " " + w
			}
			continue
		}
		m[k], last = v, k
	}
	return m
}

// WaitJob polls the job every 200 ms until ok holds for its fields and
// returns them; it fails the test, with the job's fields, after timeout, and
// at once when the job reaches a final state that ok does not accept.
func (c *Cluster) WaitJob(t testing.TB, id string, timeout time.Duration, what string, ok func(job map[string]string) bool) map[string]string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var job map[string]string
	var err error
	for {
		job, err = c.Job(id)
		if err == nil && ok(job) {
			return job
		}
		if err == nil {
			switch job["JobState"] {
			case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE":
				t.Fatalf("slurmtest: job %s ended %s (exit %s, reason %s) while waiting for %s", id, job["JobState"], job["ExitCode"], job["Reason"], what)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("slurmtest: job %s: no %s after %v (last: %v, %v)", id, what, timeout, job, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

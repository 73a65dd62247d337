//go:build mpi

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/slurm/slurmtest"
)

// TestSlurmRequeueResumesExactly submits configs/tiny.toml with `cosmogan
// sbatch --submit` as a 2-task job to a real Slurm controller and node started
// by the test, sends USR1 to its steps mid-run (as --signal does before the
// time limit), and checks that the job was requeued, resumed from its
// checkpoint and finished with the weights of an uninterrupted 2-rank run.
func TestSlurmRequeueResumesExactly(t *testing.T) {
	c := slurmtest.Start(t)
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not installed")
	}
	bin := buildBinary(t, "-tags", "mpi")
	cfg := tinyConfig(t, map[string]string{"status_addr": `""`, "steps": "1500", "checkpoint_every": "100", "log_every": "50"})

	whole := filepath.Join(t.TempDir(), "whole")
	if out, err := mpirun(2, bin, "run", "--config", cfg, "--run-dir", whole).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted mpirun -np 2: %v\n%s", err, out)
	}
	want := finalWeights(t, whole)

	run := filepath.Join(t.TempDir(), "slurm-run")
	status, out, errs := sbatchRun(t, "--config", cfg, "--run-dir", run, "--ntasks-per-node", "2",
		"--time", "00:10:00", "--binary", bin, "--submit")
	if status != 0 {
		t.Fatalf("cosmogan sbatch --submit: status %d: %s", status, errs)
	}
	id := strings.TrimSpace(out)

	// Wait until the GAN stage is under way, then warn the steps.
	deadline := time.Now().Add(90 * time.Second)
	for !ganStep(run, 200) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s never reached GAN step 200:\n%s", id, c.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Run(t, "scancel", "--signal=USR1", id)
	job := c.WaitJob(t, id, 120*time.Second, "requeue and completion", func(f map[string]string) bool {
		return f["JobState"] == "COMPLETED" && f["Restarts"] != "0"
	})
	got := finalWeights(t, run)
	for stage, w := range want {
		if got[stage] != w {
			t.Errorf("%s weights after the requeue %s, uninterrupted %s", stage, got[stage], w)
		}
	}
	if out := readAll(filepath.Join(run, "slurm-"+id+".out")); !strings.Contains(out, "requeued Slurm job "+id) {
		t.Errorf("job %s (Restarts=%s): rank 0 did not requeue it:\n%s", id, job["Restarts"], out)
	}
	if !strings.Contains(readAll(filepath.Join(run, "logs", "rank-0.jsonl")), "resuming from checkpoint") {
		t.Errorf("job %s: the requeued run did not resume from a checkpoint", id)
	}
}

// ganStep reports whether rank 0 of the run in dir has recorded GAN step n.
func ganStep(dir string, n int) bool {
	ms, _ := daemon.ReadMetrics(dir, 0) // a run that has not started yet has none
	for _, m := range ms {
		if m.Kind == daemon.MetricTrain && m.Stage == "gan" && m.Step >= n {
			return true
		}
	}
	return false
}

func readAll(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

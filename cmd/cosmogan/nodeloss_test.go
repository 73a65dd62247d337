//go:build mpi

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/slurm/slurmtest"
)

// nodeLossLimit bounds the time from the loss of a node to the end of its
// job's run: the survivors must not wait in an all-reduce for ever. Slurm
// declares the node down after SlurmdTimeout (10 s in the test cluster) and
// up to a ping interval more, then cancels the job's steps.
const nodeLossLimit = 90 * time.Second

// nodeLoss (scenario 3): every process of the second node (slurmd, its step
// daemon, its two ranks) is killed with SIGKILL in the middle of the GAN
// stage. OpenMPI's TCP transport on the surviving node reports the peer gone
// but does not abort; the survivors stay in their all-reduce until Slurm,
// once the node has been silent for SlurmdTimeout, declares it down and
// cancels the step: a timeout (Slurm's), not an MPI abort, ends them. The
// job, submitted with --requeue, is requeued for the node failure (or, if
// its script ended first, ends and is submitted again); once the node is
// back, the next run resumes from the last checkpoint and ends with the
// weights of an uninterrupted run.
func nodeLoss(t *testing.T, c *slurmtest.Nodes, bin, cfg string, want map[string]string) {
	run := filepath.Join(t.TempDir(), "nodeloss")
	id := submit(t, c, bin, cfg, run, 2, 2)
	waitGANStep(t, c, id, run, 60) // past the checkpoint of step 50
	killed := time.Now()
	c.KillNode(t, 1)
	job := waitRunEnded(t, c, id, killed)
	ended := time.Since(killed)
	out := readAll(filepath.Join(run, "slurm-"+id+".out"))
	t.Logf("node %s killed: the job's run ended %v later, %s (Restarts=%s); output: node failure %v, MPI abort %v, peer disconnected %v",
		c.Names[1], ended.Round(time.Second), job["JobState"], job["Restarts"], strings.Contains(out, "NODE FAILURE"),
		strings.Contains(out, "MPI_ABORT"), strings.Contains(out, "unexpectedly disconnected"))
	if !strings.Contains(out, "DUE TO NODE FAILURE") && !strings.Contains(out, "MPI_ABORT") {
		t.Errorf("job %s: neither Slurm's node failure nor an MPI abort ended the survivors:\n%s", id, out)
	}
	c.StartNode(t, 1)
	if job["Restarts"] == "0" { // ended, not requeued: submit it again
		id = submit(t, c, bin, cfg, run, 2, 2)
	}
	c.WaitJob(t, id, 5*time.Minute, "completion after the node loss", func(f map[string]string) bool { return f["JobState"] == "COMPLETED" })
	sameWeights(t, run, want)
	if steps := resumedAt(t, run); len(steps) == 0 || steps[len(steps)-1] < 50 {
		t.Errorf("job %s: the run after the node loss resumed from checkpoints %v, want one at step 50 or later", id, steps)
	}
}

// resumedAt returns the steps from which rank 0 resumed a stage, in order.
func resumedAt(t *testing.T, run string) []int {
	t.Helper()
	var steps []int
	for _, line := range strings.Split(readAll(filepath.Join(run, "logs", "rank-0.jsonl")), "\n") {
		var l struct {
			Step    int
			Message string
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Message == "resuming from checkpoint" {
			steps = append(steps, l.Step)
		}
	}
	return steps
}

// waitRunEnded waits until the job's run is over after the loss of a node
// at killed: requeued (Restarts > 0, not running) or ended. It fails the
// test after nodeLossLimit: the survivors hang.
func waitRunEnded(t *testing.T, c *slurmtest.Nodes, id string, killed time.Time) map[string]string {
	t.Helper()
	for {
		job, err := c.Job(id)
		if err != nil {
			t.Fatal(err)
		}
		switch s := job["JobState"]; {
		case job["Restarts"] != "0" && s != "RUNNING" && s != "COMPLETING":
			return job
		case s == "FAILED" || s == "NODE_FAIL" || s == "CANCELLED" || s == "COMPLETED":
			return job
		}
		if time.Since(killed) > nodeLossLimit {
			t.Fatalf("job %s still %s %v after its node was lost: the survivors hang\n%s", id, job["JobState"], nodeLossLimit, c.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

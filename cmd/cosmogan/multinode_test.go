//go:build mpi

package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/slurm/slurmtest"
)

// clusterScript builds the multi-node cluster (scripts/cluster/cluster.sh).
const clusterScript = "../../scripts/cluster/cluster.sh"

// TestMultiNode runs the multi-node scenarios on one cluster of two nodes
// (network namespaces with their own addresses and hostnames, a slurmd
// each): OpenMPI ranks on both, over TCP between the nodes. Each scenario is
// a subtest; see the functions they call.
func TestMultiNode(t *testing.T) {
	c := slurmtest.StartNodes(t, clusterScript, 2)
	bin := buildBinary(t, "-tags", "mpi")
	// The tiny configuration with synchronized batch norm, so that any
	// number of ranks normalizes over the same global batch; a train record
	// every step, so that a test can stop a run a few steps in.
	tiny := tinyConfig(t, map[string]string{"sync_batchnorm": "true", "status_addr": `""`, "log_every": "1"})
	four := filepath.Join(t.TempDir(), "four")
	t.Run("TwoNodesMatchOneRank", func(t *testing.T) { twoNodesMatchOneRank(t, c, bin, tiny, four) })
	t.Run("ElasticResume", func(t *testing.T) { elasticResume(t, c, bin, tiny, four) })
	// The default run's networks (64², 0.9 M parameters: a 3.6 MB gradient
	// all-reduced over TCP every update) on the tiny run's data, one step per
	// stage: after one update 1 and 4 ranks agree to float32 rounding (2e-7
	// relative, measured), but Adam then amplifies the all-reduce's rounding
	// differences in these networks (3e-3 after 10 steps, on one node too).
	demo := tinyConfig(t, map[string]string{"sync_batchnorm": "true", "status_addr": `""`, "size": "64", "latent": "100",
		"kernel": "4", "g_filters": "[128, 64, 32, 16, 1]", "d_filters": "[16, 32, 64, 128, 256]", "steps": "1"})
	t.Run("DemoNetworksMatchOneRank", func(t *testing.T) { matchesOneRank(t, c, bin, demo, filepath.Join(t.TempDir(), "demo")) })

	// Long enough (200 steps, checkpoints every 50) for a signal or a node
	// loss to land mid-stage; compared bitwise with an uninterrupted run of
	// as many ranks on one node (the all-reduce sums in the same order over
	// TCP as through shared memory).
	long := tinyConfig(t, map[string]string{"status_addr": `""`, "steps": "200", "checkpoint_every": "50"})
	whole := filepath.Join(t.TempDir(), "whole")
	if out, err := mpirun(4, bin, "run", "--config", long, "--run-dir", whole).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted mpirun -np 4: %v\n%s", err, out)
	}
	want := finalWeights(t, whole)
	t.Run("RequeueResumesExactly", func(t *testing.T) { requeueAcrossNodes(t, c, bin, long, want) })
	t.Run("NodeLossResumes", func(t *testing.T) { nodeLoss(t, c, bin, long, want) })
}

// twoNodesMatchOneRank (scenario 1): `cosmogan sbatch --nodes 2
// --ntasks-per-node 2 --submit` runs to completion with ranks on both
// hostnames, and its weights equal one rank's on the same global batch to
// float32 rounding. Without the tcp btl the same ranks cannot reach each
// other: nothing but TCP joins the nodes. The 4-rank run is left in four.
func twoNodesMatchOneRank(t *testing.T, c *slurmtest.Nodes, bin, cfg, four string) {
	matchesOneRank(t, c, bin, cfg, four)
	cmd := c.Command("timeout", "120", "srun", "--nodes=2", "--ntasks-per-node=1", "--mpi=pmix", bin, "run", "--config", cfg,
		"--run-dir", filepath.Join(t.TempDir(), "no-tcp"))
	cmd.Env = append(cmd.Env, "OMPI_MCA_btl=self,vader") // the last value of a key wins
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "unable to reach each other") {
		t.Errorf("ranks on two nodes without the tcp btl: %v, want OpenMPI's 'unable to reach each other':\n%s", err, out)
	}
}

// matchesOneRank submits cfg as 2 nodes × 2 ranks into run, waits for it
// to complete, checks that ranks 0-1 and 2-3 ran on the two hostnames, and
// that its weights equal one rank's on the same global batch within 1e-5.
func matchesOneRank(t *testing.T, c *slurmtest.Nodes, bin, cfg, run string) {
	start := time.Now()
	id := submit(t, c, bin, cfg, run, 2, 2)
	c.WaitJob(t, id, 5*time.Minute, "completion", func(f map[string]string) bool { return f["JobState"] == "COMPLETED" })
	t.Logf("2 nodes × 2 ranks: job %s done in %v", id, time.Since(start).Round(time.Second))
	if hosts := rankHosts(t, run, 4); !slices.Equal(hosts, []string{c.Names[0], c.Names[0], c.Names[1], c.Names[1]}) {
		t.Errorf("ranks 0-3 ran on %v, want two on each of %v", hosts, c.Names)
	}
	one := filepath.Join(t.TempDir(), "one")
	if out, err := mpirun(1, bin, "run", "--config", cfg, "--run-dir", one).CombinedOutput(); err != nil {
		t.Fatalf("mpirun -np 1: %v\n%s", err, out)
	}
	compareRuns(t, run, one, 1e-5)
}

// requeueAcrossNodes (scenario 2): USR1 to the 2-node job's ranks, as Slurm
// sends before the time limit: they checkpoint, rank 0 requeues the job, and
// the requeued job resumes and ends with the weights of an uninterrupted run.
func requeueAcrossNodes(t *testing.T, c *slurmtest.Nodes, bin, cfg string, want map[string]string) {
	start := time.Now()
	run := filepath.Join(t.TempDir(), "requeue")
	id := submit(t, c, bin, cfg, run, 2, 2)
	waitGANStep(t, c, id, run, 60)
	c.Run(t, "scancel", "--signal=USR1", id)
	c.WaitJob(t, id, 5*time.Minute, "requeue and completion", func(f map[string]string) bool {
		return f["JobState"] == "COMPLETED" && f["Restarts"] != "0"
	})
	t.Logf("USR1 requeue on 2 nodes: job %s done in %v", id, time.Since(start).Round(time.Second))
	sameWeights(t, run, want)
	if out := readAll(filepath.Join(run, "slurm-"+id+".out")); !strings.Contains(out, "requeued Slurm job "+id) {
		t.Errorf("job %s: rank 0 did not requeue it:\n%s", id, out)
	}
	if !strings.Contains(readAll(filepath.Join(run, "logs", "rank-0.jsonl")), "resuming from checkpoint") {
		t.Errorf("job %s: the requeued run did not resume from a checkpoint", id)
	}
}

// elasticResume (scenario 4): a run of 4 ranks on 2 nodes stopped by SIGTERM
// mid-run continues on 2 ranks (one per node) and, from a copy, on 1, and
// each ends within float32 rounding of the uninterrupted 4-rank run in four;
// state.json and rank 0's log record the change of world size.
func elasticResume(t *testing.T, c *slurmtest.Nodes, bin, cfg, four string) {
	run := filepath.Join(t.TempDir(), "elastic")
	id := submit(t, c, bin, cfg, run, 2, 2)
	waitGANStep(t, c, id, run, 5)
	c.Run(t, "scancel", "--signal=TERM", id)
	c.WaitJob(t, id, 2*time.Minute, "the stopped job's end", func(f map[string]string) bool { return f["JobState"] == "COMPLETED" })
	if st := readState(t, run); st.Stage == "done" {
		t.Fatalf("the 4-rank run finished before SIGTERM reached it; nothing left to resume")
	}
	copyRun := filepath.Join(t.TempDir(), "elastic-1")
	if out, err := exec.Command("cp", "-a", run, copyRun).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	for _, r := range []struct {
		dir          string
		nodes, tasks int
	}{{run, 2, 1}, {copyRun, 1, 1}} {
		id := submit(t, c, bin, cfg, r.dir, r.nodes, r.tasks)
		c.WaitJob(t, id, 5*time.Minute, "completion", func(f map[string]string) bool { return f["JobState"] == "COMPLETED" })
		compareRuns(t, r.dir, four, 1e-5)
		st := readState(t, r.dir)
		ranks := r.nodes * r.tasks
		if n := len(st.Changes); st.WorldSize != ranks || n != 1 || st.Changes[0].From != 4 || st.Changes[0].To != ranks {
			t.Errorf("%s: state.json has world_size %d and changes %+v, want %d and one change 4 → %d", r.dir, st.WorldSize, st.Changes, ranks, ranks)
		}
		if log := readAll(filepath.Join(r.dir, "logs", "rank-0.jsonl")); !strings.Contains(log, `"from":4,"to":`) || !strings.Contains(log, "world size changed") {
			t.Errorf("%s: rank 0's log does not record the change of world size", r.dir)
		}
	}
}

// submit submits the training job with `cosmogan sbatch --submit` from the
// head node and returns its id.
func submit(t *testing.T, c *slurmtest.Nodes, bin, cfg, run string, nodes, tasks int) string {
	t.Helper()
	out, err := c.Command(bin, "sbatch", "--config", cfg, "--run-dir", run, "--nodes", strconv.Itoa(nodes),
		"--ntasks-per-node", strconv.Itoa(tasks), "--time", "00:10:00", "--binary", bin, "--submit").Output()
	if err != nil {
		t.Fatalf("cosmogan sbatch --submit: %v: %s", err, exitStderr(err))
	}
	return strings.TrimSpace(string(out))
}

// waitGANStep waits until rank 0 of the job has recorded GAN step n.
func waitGANStep(t *testing.T, c *slurmtest.Nodes, id, run string, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !ganStep(run, n) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s never reached GAN step %d:\n%s\n%s", id, n, readAll(filepath.Join(run, "slurm-"+id+".out")), c.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rankHosts returns the host each of the first n ranks logged at its start
// (the last start, for a resumed run).
func rankHosts(t *testing.T, run string, n int) []string {
	t.Helper()
	hosts := make([]string, n)
	for r := range n {
		for _, line := range strings.Split(readAll(filepath.Join(run, "logs", "rank-"+strconv.Itoa(r)+".jsonl")), "\n") {
			var l struct{ Host, Message string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Message == "run starting" {
				hosts[r] = l.Host
			}
		}
	}
	return hosts
}

// runState is what the multi-node tests read of state.json.
type runState struct {
	Stage     string `json:"stage"`
	WorldSize int    `json:"world_size"`
	Changes   []struct {
		Stage    string
		Step     int
		From, To int
	} `json:"world_size_changes"`
}

func readState(t *testing.T, run string) runState {
	t.Helper()
	var st runState
	if err := json.Unmarshal([]byte(readAll(filepath.Join(run, "state.json"))), &st); err != nil {
		t.Fatalf("%s/state.json: %v", run, err)
	}
	return st
}

// sameWeights checks that a finished run ended with the weights want.
func sameWeights(t *testing.T, run string, want map[string]string) {
	t.Helper()
	got := finalWeights(t, run)
	for stage, w := range want {
		if got[stage] != w {
			t.Errorf("%s weights %s, uninterrupted %s", stage, got[stage], w)
		}
	}
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

package slurm_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/slurm"
	"github.com/cosmogan/cosmogan/slurm/slurmtest"
)

// fakeDaemon stands in for `cosmogan run`: each rank records its arguments
// and environment, then (on the first run of the job) waits for USR1, marks
// it in a file and goes on waiting until the requeue's SIGTERM, or exits 0
// when RUN_DIR/exit-on-usr1 exists; on a requeued run it ends at once.
const fakeDaemon = `#!/bin/sh
args="$*"
while [ $# -gt 0 ]; do [ "$1" = --run-dir ] && d=$2; shift; done
r=${SLURM_RESTART_COUNT:-0}
trap 'touch "$d/usr1-$SLURM_PROCID"; echo "fake rank=$SLURM_PROCID got USR1"; [ -e "$d/exit-on-usr1" ] && exit 0' USR1
trap 'echo "fake rank=$SLURM_PROCID got TERM"; exit 0' TERM
printf '%s\n' "$args" > "$d/args-$r-$SLURM_PROCID"
env > "$d/env-$r-$SLURM_PROCID"
echo "fake rank=$SLURM_PROCID of $SLURM_NTASKS restart=$r"
[ "$r" -gt 0 ] && exit 0
i=0; while [ $i -lt 300 ]; do sleep 1 & wait $!; i=$((i+1)); done
`

func readEnv(t *testing.T, path string) func(string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

func waitFiles(t *testing.T, c *slurmtest.Cluster, id string, timeout time.Duration, paths ...string) {
	t.Helper()
	c.WaitJob(t, id, timeout, strings.Join(paths, ", "), func(map[string]string) bool {
		for _, p := range paths {
			if _, err := os.Stat(p); err != nil {
				return false
			}
		}
		return true
	})
}

// TestClusterJob runs the script of Job on a real one-node Slurm cluster: a
// 2-task job through srun --mpi=pmix, USR1 to its steps (scancel --signal,
// as --signal=USR1@LEAD does at the limit), Requeue, and the second run
// appending to the same output file.
//
// A second job, alongside, has a one-minute limit and a 45 s lead: Slurm
// itself must send USR1 to both its ranks before the limit (it checks every
// 30 s or so, hence the long lead), and they exit 0 on it.
func TestClusterJob(t *testing.T) {
	c := slurmtest.StartWith(t, slurmtest.Options{CPUs: 4}) // two 2-task jobs at once
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	dir := t.TempDir()
	// A space in the folder: the srun line must quote it. (Not in the file
	// name: Slurm could not signal the process; Validate refuses that.)
	bin := filepath.Join(dir, "bin dir", "fake-cosmogan")
	if err := os.Mkdir(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte(fakeDaemon), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "it's a config.toml")
	if err := os.WriteFile(config, []byte("# not read\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	job := slurm.Job{Config: config, RunDir: runDir, Nodes: 1, TasksPerNode: 2, CPUsPerTask: 1,
		Time: 5 * time.Minute, JobName: "slurmtest", Binary: bin}
	script, err := job.Script()
	if err != nil {
		t.Fatal(err)
	}
	if c.MPI != "pmix" {
		t.Logf("no PMIx plugin in this Slurm: running the steps with --mpi=none")
		script = strings.Replace(script, "srun --mpi=pmix", "srun --mpi=none", 1)
	}
	id, err := slurm.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("submitted job %s", id)

	limitDir := filepath.Join(dir, "limit")
	if err := os.Mkdir(limitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(limitDir, "exit-on-usr1"), nil, 0o644)
	limitJob := job
	limitJob.RunDir, limitJob.Time, limitJob.SignalLead = limitDir, time.Minute, 45*time.Second
	limitScript, err := limitJob.Script()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(limitScript, "#SBATCH --signal=USR1@45\n") {
		t.Fatalf("no --signal=USR1@45 in\n%s", limitScript)
	}
	limitScript = strings.Replace(limitScript, "srun --mpi=pmix", "srun --mpi="+c.MPI, 1)
	limitID, err := slurm.Submit(ctx, limitScript)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("submitted job %s (limit 1 min, USR1 45 s before)", limitID)
	outFile := filepath.Join(runDir, "slurm-"+id+".out")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(outFile)
			t.Logf("%s:\n%s", outFile, out)
		}
	})

	// Both ranks start, with the arguments and environment of the script.
	waitFiles(t, c, id, 30*time.Second, filepath.Join(runDir, "env-0-0"), filepath.Join(runDir, "env-0-1"))
	fields, _ := c.Job(id)
	if fields["JobState"] != "RUNNING" || fields["NumTasks"] != "2" || fields["Requeue"] != "1" || fields["TimeLimit"] != "00:05:00" {
		t.Errorf("job fields: JobState=%s NumTasks=%s Requeue=%s TimeLimit=%s; want RUNNING 2 1 00:05:00",
			fields["JobState"], fields["NumTasks"], fields["Requeue"], fields["TimeLimit"])
	}
	for rank := range 2 {
		r := string(rune('0' + rank))
		args, _ := os.ReadFile(filepath.Join(runDir, "args-0-"+r))
		if want := "run --config " + config + " --run-dir " + runDir + "\n"; string(args) != want {
			t.Errorf("rank %d arguments %q, want %q", rank, args, want)
		}
		getenv := readEnv(t, filepath.Join(runDir, "env-0-"+r))
		env, err := slurm.FromEnv(getenv)
		if err != nil {
			t.Fatalf("rank %d: FromEnv on Slurm's environment: %v", rank, err)
		}
		want := slurm.Env{JobID: id, ProcID: rank, NTasks: 2, LocalID: rank, NodeID: 0, InSlurm: true}
		if env != want {
			t.Errorf("rank %d: FromEnv = %+v, want %+v", rank, env, want)
		}
		if getenv("OMP_NUM_THREADS") != "1" {
			t.Errorf("rank %d: OMP_NUM_THREADS=%q, want 1", rank, getenv("OMP_NUM_THREADS"))
		}
	}

	// USR1 reaches every rank of the step; the job keeps running.
	c.Run(t, "scancel", "--signal=USR1", id)
	waitFiles(t, c, id, 20*time.Second, filepath.Join(runDir, "usr1-0"), filepath.Join(runDir, "usr1-1"))
	if f, _ := c.Job(id); f["JobState"] != "RUNNING" {
		t.Errorf("after USR1 the job is %s, want RUNNING", f["JobState"])
	}

	// Requeue: the job runs again under the same id and completes.
	if err := slurm.Requeue(ctx, id); err != nil {
		t.Fatal(err)
	}
	fields = c.WaitJob(t, id, 45*time.Second, "completion after the requeue", func(f map[string]string) bool {
		return f["JobState"] == "COMPLETED" && f["Restarts"] == "1"
	})
	if fields["ExitCode"] != "0:0" {
		t.Errorf("requeued job ended with ExitCode=%s", fields["ExitCode"])
	}
	for _, f := range []string{"env-1-0", "env-1-1"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("the requeued run did not start both ranks: %v", err)
		}
	}
	if env, err := slurm.FromEnv(readEnv(t, filepath.Join(runDir, "env-1-0"))); err != nil || env.JobID != id {
		t.Errorf("requeued run: FromEnv = %+v, %v; want job %s", env, err, id)
	}

	// One output file, appended to by both runs.
	out, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"cosmogan job " + id + ", restart 0,", "fake rank=0 of 2 restart=0", "fake rank=1 of 2 restart=0",
		"fake rank=0 got USR1", "fake rank=1 got USR1",
		"cosmogan job " + id + ", restart 1,", "fake rank=0 of 2 restart=1", "fake rank=1 of 2 restart=1",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("slurm-%s.out lacks %q", id, want)
		}
	}
	t.Logf("job %s: 2 ranks, USR1, requeue, second run completed in %.1f s", id, time.Since(start).Seconds())

	// The time-limit job: USR1 from --signal reached both ranks, which
	// ended the job before its limit.
	fields = c.WaitJob(t, limitID, 70*time.Second, "the end of the time-limit job", func(f map[string]string) bool {
		return f["JobState"] == "COMPLETED"
	})
	for _, f := range []string{"usr1-0", "usr1-1"} {
		if _, err := os.Stat(filepath.Join(limitDir, f)); err != nil {
			t.Errorf("time-limit job %s: a rank got no USR1 from --signal: %v", limitID, err)
		}
	}
	if fields["ExitCode"] != "0:0" || fields["Restarts"] != "0" {
		t.Errorf("time-limit job %s: ExitCode=%s Restarts=%s, want 0:0 0", limitID, fields["ExitCode"], fields["Restarts"])
	}
	t.Logf("job %s: USR1 from --signal=USR1@45 after %s of its 1-minute limit; all done in %.1f s",
		limitID, fields["RunTime"], time.Since(start).Seconds())
}

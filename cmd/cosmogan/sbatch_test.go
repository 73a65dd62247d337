package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/slurm/slurmtest"
)

// sbatchRun runs `cosmogan sbatch ARGS` and returns the status, what it
// printed on stdout and on stderr.
func sbatchRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := mainStatus(append([]string{"sbatch"}, args...), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func sbatchFixture(t *testing.T) (dir, config string) {
	dir = t.TempDir()
	config = filepath.Join(dir, "tiny.toml")
	if err := os.WriteFile(config, []byte("# the daemon reads this\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, config
}

func TestSbatchPrintsScript(t *testing.T) {
	dir, config := sbatchFixture(t)
	run := filepath.Join(dir, "run")
	status, out, errs := sbatchRun(t, "--config", config, "--run-dir", run, "--nodes", "2", "--ntasks-per-node", "4",
		"--gpus-per-task", "1", "--cpus-per-task", "8", "--time", "1-12:00:00", "--partition", "gpu", "--job-name", "gan")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	self, _ := os.Executable()
	for _, want := range []string{
		"#!/bin/bash\n", "#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n", "#SBATCH --cpus-per-task=8\n",
		"#SBATCH --gpus-per-task=1\n", "#SBATCH --time=1-12:00:00\n", "#SBATCH --partition=gpu\n",
		"#SBATCH --job-name=gan\n", "#SBATCH --output=" + run + "/slurm-%j.out\n", "#SBATCH --requeue\n",
		"#SBATCH --open-mode=append\n", "#SBATCH --signal=USR1@300\n", "export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK\n",
		"srun --mpi=pmix '" + self + "' run --config '" + config + "' --run-dir '" + run + "'\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("script lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(run); err == nil {
		t.Error("printing the script created the run directory")
	}

	// --binary, a relative config, the lead of a short job.
	t.Chdir(dir)
	status, out, errs = sbatchRun(t, "--config", "tiny.toml", "--run-dir", "run", "--time", "00:20:00",
		"--binary", "/bin/true", "--signal-lead", "90s")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	for _, want := range []string{"srun --mpi=pmix '/bin/true' run --config '" + config + "'", "#SBATCH --signal=USR1@90\n",
		"#SBATCH --nodes=1\n", "#SBATCH --ntasks-per-node=1\n", "#SBATCH --cpus-per-task=1\n", "#SBATCH --job-name=cosmogan\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("script lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--gpus-per-task") || strings.Contains(out, "--partition") {
		t.Errorf("script asks for GPUs or a partition it was not given:\n%s", out)
	}
}

func TestSbatchUsageErrors(t *testing.T) {
	dir, config := sbatchFixture(t)
	run := filepath.Join(dir, "run")
	ok := []string{"--config", config, "--run-dir", run, "--time", "01:00:00"}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--run-dir", run, "--time", "01:00:00"}, "--config is required"},
		{[]string{"--config", config, "--time", "01:00:00"}, "--run-dir is required"},
		{[]string{"--config", config, "--run-dir", run}, "--time is required"},
		{with("--time", "90"), `time limit "90"`},
		{with("--time", "00:61:00"), "HH:MM:SS"},
		{with("--time", "2147483647:00:00"), "longer than the limit of 365-00:00:00 (8760 hours"},
		{with("--nodes", "0"), "--nodes 0"},
		{with("--ntasks-per-node", "-1"), "--ntasks-per-node -1"},
		{with("--gpus-per-task", "-1"), "--gpus-per-task -1"},
		{with("--cpus-per-task", "0"), "--cpus-per-task 0"},
		{with("--nodes", "two"), "--nodes"},
		{with("--signal-lead", "2h"), "not shorter than the time limit"},
		{with("--partition", "a b"), "partition"},
		{with("extra"), `unexpected argument "extra"`},
		{with("--binary", filepath.Join(dir, "nope")), "not an executable"},
		{with("--config", filepath.Join(dir, "missing.toml")), "missing.toml: no such file"},
		{with("--config", dir), "is a directory"},
		{with("--run-dir", filepath.Join(dir, "no", "run")), "parent " + filepath.Join(dir, "no") + " is not an existing directory"},
		{with("--run-dir", config), "is not a directory"},
		{with("--run-dir", filepath.Join(dir, "my run")), "contains ' '"},
	} {
		status, out, errs := sbatchRun(t, tc.args...)
		if status != 2 || !strings.Contains(errs, tc.msg) || out != "" {
			t.Errorf("cosmogan sbatch %s: status %d, stderr %q, stdout %d bytes; want 2, a message with %q, nothing",
				strings.Join(tc.args, " "), status, errs, len(out), tc.msg)
		}
	}
	if _, err := os.Stat(run); err == nil {
		t.Error("a refused command created the run directory")
	}
}

// TestSbatchSubmitFake submits through a stand-in sbatch: the script reaches
// its stdin, the id is printed, the run directory is created; a failing
// sbatch is a runtime error (1) with its message.
func TestSbatchSubmitFake(t *testing.T) {
	dir, config := sbatchFixture(t)
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	fake := "#!/bin/sh\n[ \"$1\" = --parsable ] || exit 9\ncat > " + filepath.Join(dir, "stdin") + "\necho 4242\n"
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	run := filepath.Join(dir, "run")
	status, out, errs := sbatchRun(t, "--config", config, "--run-dir", run, "--time", "02:00:00", "--submit")
	if status != 0 || out != "4242\n" {
		t.Fatalf("status %d, stdout %q, stderr %q; want 0 and the job id", status, out, errs)
	}
	script, _ := os.ReadFile(filepath.Join(dir, "stdin"))
	if !strings.Contains(string(script), "#SBATCH --time=02:00:00\n") {
		t.Errorf("sbatch got %q on stdin", script)
	}
	if st, err := os.Stat(run); err != nil || !st.IsDir() {
		t.Errorf("the run directory was not created: %v", err)
	}

	fail := "#!/bin/sh\necho 'sbatch: error: Batch job submission failed: Requested time limit is invalid' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(fail), 0o755); err != nil {
		t.Fatal(err)
	}
	status, out, errs = sbatchRun(t, "--config", config, "--run-dir", run, "--time", "02:00:00", "--submit")
	if status != 1 || !strings.Contains(errs, "Requested time limit is invalid") || out != "" {
		t.Errorf("failing sbatch: status %d, stdout %q, stderr %q; want 1 and sbatch's message", status, out, errs)
	}
}

// TestSbatchSubmitCluster submits with `cosmogan sbatch --submit` to a real
// one-machine Slurm cluster (skipped without root and Slurm) a 2-task job
// whose ranks run a stand-in for the binary, and waits for it to complete.
func TestSbatchSubmitCluster(t *testing.T) {
	c := slurmtest.Start(t)
	dir, config := sbatchFixture(t)
	fake := filepath.Join(dir, "fake-cosmogan")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"rank $SLURM_PROCID of $SLURM_NTASKS: $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	status, out, errs := sbatchRun(t, "--config", config, "--run-dir", run, "--ntasks-per-node", "2",
		"--time", "00:05:00", "--binary", fake, "--submit")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	id := strings.TrimSpace(out)
	job := c.WaitJob(t, id, 30*time.Second, "completion", func(f map[string]string) bool { return f["JobState"] == "COMPLETED" })
	log, err := os.ReadFile(filepath.Join(run, "slurm-"+id+".out"))
	if err != nil {
		t.Fatal(err)
	}
	for rank := range 2 {
		want := "rank " + string(rune('0'+rank)) + " of 2: run --config " + config + " --run-dir " + run + "\n"
		if !strings.Contains(string(log), want) {
			t.Errorf("slurm-%s.out lacks %q:\n%s", id, want, log)
		}
	}
	if job["Requeue"] != "1" || job["NumTasks"] != "2" || job["ExitCode"] != "0:0" {
		t.Errorf("job %s: Requeue=%s NumTasks=%s ExitCode=%s, want 1 2 0:0", id, job["Requeue"], job["NumTasks"], job["ExitCode"])
	}
}

// TestSbatchRefusesGPUTrainingWithoutGPUs: a configuration with device =
// "cuda" in a job without --gpus-per-task, or one the daemon cannot read,
// would queue only to fail at start.
func TestSbatchRefusesGPUTrainingWithoutGPUs(t *testing.T) {
	dir, config := sbatchFixture(t)
	if err := os.WriteFile(config, []byte("device = \"cuda\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", config, "--run-dir", filepath.Join(dir, "run"), "--time", "1:00:00"}
	status, _, errs := sbatchRun(t, args...)
	if status != 2 || !strings.Contains(errs, "add --gpus-per-task 1") {
		t.Errorf("without GPUs: status %d, %q; want 2 and the flag to add", status, errs)
	}
	if status, _, errs := sbatchRun(t, append(args, "--gpus-per-task", "1")...); status != 0 {
		t.Errorf("with --gpus-per-task 1: status %d: %s", status, errs)
	}
	// A configuration the daemon would refuse does not reach the queue.
	if err := os.WriteFile(config, []byte("dveice = \"cuda\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, _, errs := sbatchRun(t, args...); status != 2 || !strings.Contains(errs, "unknown key dveice") {
		t.Errorf("misspelled key: status %d, %q; want 2 and the key named", status, errs)
	}
}

// exampleCommands returns the command lines shown in the README's code
// blocks and in the comments of configs/*.toml (paths relative to the
// repository root), continuation lines ending in '\' joined.
func exampleCommands(t *testing.T) []string {
	t.Helper()
	configs, err := filepath.Glob("configs/*.toml")
	if err != nil || len(configs) == 0 {
		t.Fatalf("no configs/*.toml (%v)", err)
	}
	var cmds []string
	for _, path := range append(configs, "README.md") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		inCode := !strings.HasSuffix(path, ".md") // a config's comments are all candidates
		cont := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "```") {
				inCode = !inCode
				continue
			}
			if !strings.HasSuffix(path, ".md") {
				var ok bool
				if line, ok = strings.CutPrefix(line, "#"); !ok {
					continue
				}
			}
			line = strings.TrimSpace(line)
			if line, _, _ = strings.Cut(line, " #"); !inCode || line == "" {
				continue
			}
			joined, more := strings.CutSuffix(line, `\`)
			if cont {
				cmds[len(cmds)-1] += " " + joined
			} else {
				cmds = append(cmds, joined)
			}
			cont = more
		}
	}
	return cmds
}

// TestExampleCommandsValid: every `cosmogan sbatch` and `mpirun -np P`
// example of the README and the configurations works as written: sbatch
// accepts it (printing the script instead of submitting), and P divides the
// batches of the configuration the ranks run.
func TestExampleCommandsValid(t *testing.T) {
	t.Chdir("../..")
	scratch := t.TempDir()
	var sbatches, mpiruns int
	for _, cmd := range exampleCommands(t) {
		f := strings.Fields(strings.ReplaceAll(cmd, "$SCRATCH", scratch))
		switch {
		case len(f) > 2 && f[0] == "cosmogan" && f[1] == "sbatch":
			sbatches++
			var args []string
			for i := 2; i < len(f); i++ {
				switch f[i] {
				case "--submit":
					continue
				case "--binary": // built by the example's previous line
					args, i = append(args, "--binary", "/bin/true"), i+1
					continue
				}
				args = append(args, f[i])
			}
			if status, _, errs := sbatchRun(t, args...); status != 0 {
				t.Errorf("%s: status %d: %s", cmd, status, errs)
			}
		case len(f) > 2 && f[0] == "mpirun" && f[1] == "-np":
			mpiruns++
			ranks, err := strconv.Atoi(f[2])
			config := "config.toml"
			if i := slices.Index(f, "--config"); i > 0 && i+1 < len(f) {
				config = f[i+1]
			}
			if err != nil {
				t.Errorf("%s: -np %q", cmd, f[2])
				continue
			}
			cfg, err := daemon.LoadConfig(config)
			if err == nil {
				err = checkRanks(cfg, config, 1, ranks)
			}
			if err != nil {
				t.Errorf("%s: %v", cmd, err)
			}
		}
	}
	if sbatches < 4 || mpiruns < 2 {
		t.Errorf("found %d sbatch and %d mpirun examples, want at least 4 and 2: is the extraction broken?", sbatches, mpiruns)
	}
}

// TestSbatchRefusesIndivisibleBatch: a batch the ranks cannot split is
// refused before the job queues, naming the key, the batch and the ranks.
func TestSbatchRefusesIndivisibleBatch(t *testing.T) {
	dir, config := sbatchFixture(t)
	if err := os.WriteFile(config, []byte("[gan]\nbatch = 50\n[ae]\nbatch = 48\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", config, "--run-dir", filepath.Join(dir, "run"), "--time", "1:00:00"}
	for _, tc := range []struct {
		nodes, tasks string
		status       int
		msg          string
	}{
		{"4", "2", 2, "gan.batch = 50 does not divide evenly over 8 ranks (--nodes 4 × --ntasks-per-node 2)"},
		{"5", "1", 2, "ae.batch = 48 does not divide evenly over 5 ranks"},
		{"4294967296", "4294967296", 2, "over 18446744073709551616 ranks"},
		{"1", "2", 0, ""},
	} {
		status, _, errs := sbatchRun(t, append(args, "--nodes", tc.nodes, "--ntasks-per-node", tc.tasks)...)
		if status != tc.status || !strings.Contains(errs, tc.msg) {
			t.Errorf("--nodes %s --ntasks-per-node %s: status %d, %q; want %d and %q", tc.nodes, tc.tasks, status, errs, tc.status, tc.msg)
		}
	}
}

// TestSbatchRefusesBatchNormOfOneSample: ranks that would each normalize one
// sample through a layer of one position are refused before the job queues,
// as the daemon would refuse them at start.
func TestSbatchRefusesBatchNormOfOneSample(t *testing.T) {
	dir, config := sbatchFixture(t)
	toml := "[model]\nsize = 16\ng_filters = [8, 4, 2, 1]\nd_filters = [4, 8]\n[gan]\nbatch = 2\n[ae]\nbatch = 2\n"
	if err := os.WriteFile(config, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", config, "--run-dir", filepath.Join(dir, "run"), "--time", "1:00:00", "--nodes", "1"}
	if status, _, errs := sbatchRun(t, append(args, "--ntasks-per-node", "2")...); status != 2 || !strings.Contains(errs, "needs at least 2") {
		t.Errorf("2 ranks of 1 sample: status %d, %q; want 2 and the batch-norm refusal", status, errs)
	}
	if status, _, errs := sbatchRun(t, append(args, "--ntasks-per-node", "1")...); status != 0 {
		t.Errorf("1 rank of 2 samples: status %d, %q", status, errs)
	}
}

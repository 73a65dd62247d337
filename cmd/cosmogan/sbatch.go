package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/slurm"
)

func sbatchCmd(fs *flag.FlagSet, w streams) func() error {
	config := fs.String("config", "", "configuration `file` of the run (required; checked as the daemon will, and for device = \"cuda\" against --gpus-per-task)")
	runDir := fs.String("run-dir", "", "run `directory` (required); its parent must exist; holds slurm-JOBID.out")
	nodes := fs.Int("nodes", 1, "`nodes` of the job")
	tasks := fs.Int("ntasks-per-node", 1, "`tasks` (MPI ranks) per node")
	gpus := fs.Int("gpus-per-task", 0, "`GPUs` per rank (0: none requested)")
	cpus := fs.Int("cpus-per-task", 1, "`cores` per rank")
	limit := fs.String("time", "", "wall-clock limit of one run of the job, `HH:MM:SS` or D-HH:MM:SS (required)")
	partition := fs.String("partition", "", "`partition` to run in (default: the cluster's default)")
	name := fs.String("job-name", "cosmogan", "job `name` shown by squeue")
	lead := fs.Duration("signal-lead", 0, "how long before the limit the ranks get USR1 to checkpoint and requeue, e.g. 10m (default: 5m, or a tenth of --time if shorter)")
	binary := fs.String("binary", "", "cosmogan `executable` the ranks run (default: this program, "+
		"which must then be at the same path on the compute nodes)")
	submit := fs.Bool("submit", false, "submit the job with sbatch and print its id, instead of printing the script")
	return func() error {
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		for _, req := range []struct{ flag, value string }{{"config", *config}, {"run-dir", *runDir}, {"time", *limit}} {
			if req.value == "" {
				return usageError{fmt.Sprintf("--%s is required", req.flag)}
			}
		}
		for _, f := range []struct {
			flag       string
			value, min int
		}{{"nodes", *nodes, 1}, {"ntasks-per-node", *tasks, 1}, {"cpus-per-task", *cpus, 1}, {"gpus-per-task", *gpus, 0}} {
			if f.value < f.min {
				return usageError{fmt.Sprintf("--%s %d: want an integer ≥ %d", f.flag, f.value, f.min)}
			}
		}
		t, err := slurm.ParseTime(*limit)
		if err != nil {
			return usageError{"--time: " + err.Error()}
		}
		if *lead < 0 {
			return usageError{fmt.Sprintf("--signal-lead %v: want a positive duration", *lead)}
		}
		// A configuration that the daemon would refuse, or ranks that train
		// on GPUs in a job that asks for none, are caught before the job
		// queues for hours to fail at once.
		cfg, err := daemon.LoadConfig(*config)
		if err != nil {
			return usageError{fmt.Sprintf("--config: %v", err)}
		}
		if err := checkRanks(cfg, *config, *nodes, *tasks); err != nil {
			return err
		}
		if err := daemon.CheckBatchNorm(cfg, *nodes**tasks); err != nil { // the product divides the batch: no overflow
			return usageError{fmt.Sprintf("--config %s: %v (--nodes %d × --ntasks-per-node %d)", *config, err, *nodes, *tasks)}
		}
		if cfg.Device == daemon.DeviceCUDA && *gpus == 0 {
			return usageError{fmt.Sprintf("--config %s trains on GPUs (device = \"cuda\") but the job asks for none: add --gpus-per-task 1", *config)}
		}
		dir, err := jobRunDir(*runDir)
		if err != nil {
			return err
		}
		bin, err := jobBinary(*binary)
		if err != nil {
			return err
		}
		job := slurm.Job{
			Config: *config, RunDir: dir, Nodes: *nodes, TasksPerNode: *tasks, CPUsPerTask: *cpus, GPUsPerTask: *gpus,
			Time: t, Partition: *partition, JobName: *name, Binary: bin, SignalLead: *lead,
		}
		script, err := job.Script()
		if err != nil {
			return usageError{err.Error()}
		}
		if !*submit {
			_, err := io.WriteString(w.out, script)
			return err
		}
		return submitJob(w, dir, script)
	}
}

// jobRunDir is the absolute path of --run-dir, whose parent must exist and
// which, if it exists, must be a directory.
func jobRunDir(runDir string) (string, error) {
	dir, err := filepath.Abs(runDir)
	if err != nil {
		return "", usageError{fmt.Sprintf("--run-dir %s: %v", runDir, err)}
	}
	if st, err := os.Stat(filepath.Dir(dir)); err != nil || !st.IsDir() {
		return "", usageError{fmt.Sprintf("--run-dir %s: its parent %s is not an existing directory", runDir, filepath.Dir(dir))}
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return "", usageError{fmt.Sprintf("--run-dir %s: exists and is not a directory", runDir)}
	}
	return dir, nil
}

// jobBinary is the program the ranks run: --binary, or this program.
func jobBinary(binary string) (string, error) {
	if binary == "" {
		bin, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("cannot find this program's path (give --binary): %w", err)
		}
		return bin, nil
	}
	if filepath.Base(binary) != binary { // a path, not a name looked up in the job's PATH
		if st, err := os.Stat(binary); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return "", usageError{fmt.Sprintf("--binary %s: not an executable file", binary)}
		}
	}
	return binary, nil
}

// submitJob submits script with sbatch and prints the job's id.
func submitJob(w streams, dir, script string) error {
	// Slurm opens RUN_DIR/slurm-JOBID.out before the script runs: the run
	// directory must exist when the job starts. An empty one is a new run
	// to the daemon.
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create the run directory: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	id, err := slurm.Submit(ctx, script)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w.out, id)
	return err
}

// checkRanks refuses a job whose nodes × tasks ranks do not split the global
// GAN and AE batches evenly, which the daemon refuses at start, after the job
// has queued. The divisibility test never forms the product, and the message
// prints it as a float64, so absurd counts cannot overflow.
func checkRanks(cfg daemon.Config, path string, nodes, tasks int) error {
	for _, b := range []struct {
		key   string
		batch int
	}{{"gan.batch", cfg.GAN.Batch}, {"ae.batch", cfg.AE.Batch}} {
		if b.batch%nodes != 0 || b.batch/nodes%tasks != 0 {
			return usageError{fmt.Sprintf("--config %s: %s = %d does not divide evenly over %.0f ranks (--nodes %d × --ntasks-per-node %d); "+
				"the daemon would refuse it at start: pick a rank count that divides %d",
				path, b.key, b.batch, float64(nodes)*float64(tasks), nodes, tasks, b.batch)}
		}
	}
	return nil
}

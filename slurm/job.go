package slurm

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Job describes one batch job that runs the training daemon on every rank.
type Job struct {
	Config string // the daemon's configuration file; made absolute
	RunDir string // the run directory; made absolute; holds the job's output file

	Nodes        int // nodes (≥ 1)
	TasksPerNode int // tasks, that is MPI ranks, per node (≥ 1)
	CPUsPerTask  int // cores per rank; 0 means 1
	GPUsPerTask  int // GPUs per rank; 0 asks for none

	Time      time.Duration // wall-clock limit, whole seconds (ParseTime reads HH:MM:SS and D-HH:MM:SS)
	Partition string        // partition (queue); "" takes the cluster's default
	JobName   string        // name in squeue; "" means "cosmogan"

	// Binary is the cosmogan executable the ranks run: a path (made absolute)
	// or a bare name looked up in the job's PATH. "" means "cosmogan".
	Binary string

	// SignalLead is how long before the time limit Slurm sends USR1 to the
	// ranks, so that they checkpoint and requeue. 0 means 5 minutes, or a
	// tenth of Time when that is shorter.
	SignalLead time.Duration
}

// DefaultSignalLead is the USR1 lead of a job whose SignalLead is 0 and whose
// time limit is at least ten times as long.
const DefaultSignalLead = 5 * time.Minute

// maxSignalLead is the largest lead Slurm accepts in --signal=SIG@TIME (a
// 16-bit number of seconds).
const maxSignalLead = 65535 * time.Second

// maxTime is the longest time limit ParseTime accepts: a year, beyond any
// partition's limit (the job requeues itself before its limit anyway), and
// far from overflowing a time.Duration, which holds 292 years.
const maxTime = 365 * 24 * time.Hour

// ParseTime reads a Slurm time limit written HH:MM:SS or D-HH:MM:SS (hours
// may exceed 23 in the first form; fields may have one digit, as 1:0:0).
// Minutes and seconds are below 60; the limit is at most a year.
func ParseTime(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("time limit %q: want HH:MM:SS or D-HH:MM:SS", s)
	}
	var days int64
	rest := s
	if d, hms, ok := strings.Cut(s, "-"); ok {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil || n < 0 || !isDigits(d) {
			return bad()
		}
		days, rest = n, hms
	}
	f := strings.Split(rest, ":")
	if len(f) != 3 {
		return bad()
	}
	var v [3]int64
	for i, p := range f {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || n < 0 || !isDigits(p) || (i > 0 && len(p) > 2) {
			return bad()
		}
		v[i] = n
	}
	if v[1] > 59 || v[2] > 59 || (days > 0 && v[0] > 23) {
		return bad()
	}
	total := ((days*24+v[0])*60+v[1])*60 + v[2] // < 2^48: fields are below 2^31
	switch {
	case total == 0:
		return 0, fmt.Errorf("time limit %q: must be positive", s)
	case total > int64(maxTime/time.Second):
		return 0, fmt.Errorf("time limit %q: longer than the limit of %s (%d hours, a year)", s, FormatTime(maxTime), int64(maxTime/time.Hour))
	}
	return time.Duration(total) * time.Second, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// FormatTime writes a time limit as Slurm reads it: HH:MM:SS below a day,
// D-HH:MM:SS from a day on. Fractions of a second are rounded up.
func FormatTime(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	days, s := s/86400, s%86400
	hms := fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	if days > 0 {
		return fmt.Sprintf("%d-%s", days, hms)
	}
	return hms
}

// Lead is the USR1 lead the job's script asks for, in whole seconds (at
// least one).
func (j Job) Lead() time.Duration {
	lead := j.SignalLead
	if lead <= 0 {
		lead = min(DefaultSignalLead, j.Time/10)
	}
	lead = (lead + time.Second - 1).Truncate(time.Second)
	return max(lead, time.Second)
}

// Validate reports the first field of j that cannot make a job, naming it.
func (j Job) Validate() error {
	switch {
	case j.Config == "":
		return errors.New("slurm job: no configuration file")
	case j.RunDir == "":
		return errors.New("slurm job: no run directory")
	case j.Nodes < 1:
		return fmt.Errorf("slurm job: nodes = %d, want ≥ 1", j.Nodes)
	case j.TasksPerNode < 1:
		return fmt.Errorf("slurm job: tasks per node = %d, want ≥ 1", j.TasksPerNode)
	case j.CPUsPerTask < 0:
		return fmt.Errorf("slurm job: CPUs per task = %d, want ≥ 1 (or 0 for 1)", j.CPUsPerTask)
	case j.GPUsPerTask < 0:
		return fmt.Errorf("slurm job: GPUs per task = %d, want ≥ 0", j.GPUsPerTask)
	case j.Time <= 0:
		return fmt.Errorf("slurm job: time limit %v, want a positive HH:MM:SS", j.Time)
	case j.Time%time.Second != 0:
		return fmt.Errorf("slurm job: time limit %v is not a whole number of seconds", j.Time)
	case j.SignalLead < 0:
		return fmt.Errorf("slurm job: signal lead %v is negative", j.SignalLead)
	case j.Lead() >= j.Time:
		return fmt.Errorf("slurm job: signal lead %v is not shorter than the time limit %s", j.Lead(), FormatTime(j.Time))
	case j.Lead() > maxSignalLead:
		return fmt.Errorf("slurm job: signal lead %v is above Slurm's maximum of %v", j.Lead(), maxSignalLead)
	}
	// #SBATCH lines are parsed by sbatch, not by a shell: a value cannot be
	// quoted there, so refuse what would split or change it. '%' would be
	// read as a file-name pattern (%j) in the output path.
	for _, f := range []struct{ name, value, bad string }{
		{"run directory", j.RunDir, " \t\r\n\"'\\%"},
		{"partition", j.Partition, " \t\r\n\"'\\#"},
		{"job name", j.JobName, " \t\r\n\"'\\#"},
	} {
		if i := strings.IndexAny(f.value, f.bad); i >= 0 {
			return fmt.Errorf("slurm job: %s %q contains %q, which an #SBATCH line cannot carry", f.name, f.value, f.value[i])
		}
	}
	// Slurm's proctrack/linuxproc reads /proc/PID/stat with scanf and loses a
	// process whose name (the file name of its executable or script) holds a
	// space: such a rank never gets USR1 (nor the requeue's TERM and KILL).
	if base := filepath.Base(j.Binary); strings.ContainsAny(base, " \t\r\n)") {
		return fmt.Errorf("slurm job: binary %q: Slurm cannot signal a process whose file name contains a space or ')'; rename or link it", j.Binary)
	}
	for _, f := range []struct{ name, value string }{{"configuration file", j.Config}, {"binary", j.Binary}} {
		if strings.ContainsRune(f.value, 0) {
			return fmt.Errorf("slurm job: %s %q contains a NUL byte", f.name, f.value)
		}
	}
	return nil
}

// shellQuote quotes s for bash as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// paths returns the job's configuration file, run directory and binary as
// the script names them: absolute paths (a binary without a slash is a name
// looked up in the job's PATH, "cosmogan" by default).
func (j Job) paths() (config, runDir, binary string, err error) {
	if config, err = filepath.Abs(j.Config); err != nil {
		return "", "", "", fmt.Errorf("slurm job: configuration file: %w", err)
	}
	if runDir, err = filepath.Abs(j.RunDir); err != nil {
		return "", "", "", fmt.Errorf("slurm job: run directory: %w", err)
	}
	if strings.ContainsAny(runDir, " \t\r\n\"'\\%") { // the working directory may bring them
		return "", "", "", fmt.Errorf("slurm job: run directory %q contains a character an #SBATCH line cannot carry", runDir)
	}
	binary = j.Binary
	if binary == "" {
		binary = "cosmogan"
	}
	if strings.ContainsRune(binary, '/') {
		if binary, err = filepath.Abs(binary); err != nil {
			return "", "", "", fmt.Errorf("slurm job: binary: %w", err)
		}
	}
	return config, runDir, binary, nil
}

// Script renders the job as a bash batch script for sbatch, every line
// explained in a comment. Relative paths are made absolute against the
// working directory, since the job may start elsewhere.
func (j Job) Script() (string, error) {
	if err := j.Validate(); err != nil {
		return "", err
	}
	config, runDir, binary, err := j.paths()
	if err != nil {
		return "", err
	}
	name := j.JobName
	if name == "" {
		name = "cosmogan"
	}
	cpus := max(j.CPUsPerTask, 1)
	lead := int64(j.Lead() / time.Second)

	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("#!/bin/bash")
	line("# cosmogan training job, rendered by `cosmogan sbatch`. Submit it with `sbatch FILE`.")
	line("# The run directory must exist at submission: Slurm opens the output file in it")
	line("# before this script starts (`cosmogan sbatch --submit` creates it).")
	line("#")
	line("# sbatch reads the #SBATCH lines up to the first command; a value there cannot be quoted.")
	line("#")
	line("# The name the job has in squeue and sacct.")
	line("#SBATCH --job-name=%s", name)
	line("# Nodes, and tasks on each: one task is one MPI rank, one data-parallel replica;")
	line("# the global batch is split evenly across all %d ranks.", j.Nodes*j.TasksPerNode)
	line("#SBATCH --nodes=%d", j.Nodes)
	line("#SBATCH --ntasks-per-node=%d", j.TasksPerNode)
	line("# Cores for the compute threads of each rank.")
	line("#SBATCH --cpus-per-task=%d", cpus)
	if j.GPUsPerTask > 0 {
		line("# GPUs bound to each rank.")
		line("#SBATCH --gpus-per-task=%d", j.GPUsPerTask)
	}
	line("# Wall-clock limit of one run of the job. A training that needs longer is fine:")
	line("# the job requeues itself before the limit and continues from its checkpoint.")
	line("#SBATCH --time=%s", FormatTime(j.Time))
	if j.Partition != "" {
		line("# The partition (queue) to run in.")
		line("#SBATCH --partition=%s", j.Partition)
	}
	line("# Output of this script and of every rank (stderr included), one file per job id")
	line("# in the run directory; the daemon's own logs are in RUN_DIR/logs.")
	line("#SBATCH --output=%s", filepath.Join(runDir, "slurm-%j.out"))
	line("# A requeued job keeps its id, hence its output file: append, do not truncate it.")
	line("#SBATCH --open-mode=append")
	line("# Allow `scontrol requeue` (and a requeue after a node failure or a preemption)")
	line("# to put the job back in the queue instead of ending it.")
	line("#SBATCH --requeue")
	line("# USR1 to every rank (the job steps, not this shell) %d s before the time limit:", lead)
	line("# the ranks agree on a step, checkpoint, rank 0 runs `scontrol requeue`, and all")
	line("# exit 0 before the limit kills them. Slurm checks about once a minute, so the")
	line("# signal may come up to 60 s early.")
	line("#SBATCH --signal=USR1@%d", lead)
	line("")
	line("# Marks each start of the job in the appended output file.")
	line(`echo "cosmogan job $SLURM_JOB_ID, restart ${SLURM_RESTART_COUNT:-0}, on $SLURM_JOB_NODELIST, $(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)"`)
	line("# Threads of OpenMP-based libraries: one per core of the rank.")
	line("export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK")
	line("# srun of Slurm 22.05 does not take --cpus-per-task from SLURM_CPUS_PER_TASK;")
	line("# this hands it on to the step (other versions read it too).")
	line("export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK")
	line("# One daemon per task. --mpi=pmix: the OpenMPI ranks find each other through")
	line("# Slurm's PMIx server; plain srun fails with Debian's slurm-wlm 22.05 and OpenMPI.")
	line("srun --mpi=pmix %s run --config %s --run-dir %s", shellQuote(binary), shellQuote(config), shellQuote(runDir))
	return b.String(), nil
}

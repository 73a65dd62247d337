package slurm

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func paperJob() Job {
	return Job{
		Config: "/home/u/cosmogan/configs/paper-2d.toml", RunDir: "/scratch/u/run-2d",
		Nodes: 2, TasksPerNode: 4, CPUsPerTask: 8, GPUsPerTask: 1,
		Time: 12 * time.Hour, Partition: "gpu", JobName: "gan2d",
		Binary: "/home/u/go/bin/cosmogan",
	}
}

func TestScriptGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		job  Job
	}{
		{"paper-2d", paperJob()},
		// No GPUs, no partition, default name, binary from PATH, 10-minute
		// limit: lead is a tenth, 60 s.
		{"cpu", Job{Config: "/c/tiny.toml", RunDir: "/r/tiny", Nodes: 1, TasksPerNode: 2, Time: 10 * time.Minute}},
	} {
		got, err := tc.job.Script()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		path := filepath.Join("testdata", tc.name+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./slurm -run Golden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: script differs from %s (go test ./slurm -run Golden -update rewrites it):\n%s", tc.name, path, got)
		}
		if bash, err := exec.LookPath("bash"); err == nil {
			cmd := exec.Command(bash, "-n")
			cmd.Stdin = strings.NewReader(got)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: bash -n: %v\n%s", tc.name, err, out)
			}
		}
	}
}

func TestScriptLines(t *testing.T) {
	j := paperJob()
	j.GPUsPerTask, j.Partition, j.JobName = 0, "", ""
	j.Config, j.RunDir, j.Binary = "rel/it's.toml", "runs/a", "my bin/cosmogan"
	s, err := j.Script()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	for _, want := range []string{
		"#SBATCH --job-name=cosmogan\n",
		"#SBATCH --signal=USR1@300\n",
		"#SBATCH --output=" + filepath.Join(wd, "runs/a") + "/slurm-%j.out\n",
		"srun --mpi=pmix '" + filepath.Join(wd, "my bin/cosmogan") + "' run --config '" +
			filepath.Join(wd, "rel") + `/it'\''s.toml' --run-dir '` + filepath.Join(wd, "runs/a") + "'\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	for _, absent := range []string{"--gpus-per-task", "--partition"} {
		if strings.Contains(s, absent) {
			t.Errorf("script has %s though it was not asked for", absent)
		}
	}
	// Every line is a comment, blank, or explained by the comment above it.
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines[1:] {
		if l != "" && !strings.HasPrefix(l, "# ") && l != "#" && !strings.HasPrefix(lines[i], "#") {
			t.Errorf("line %q has no comment above it", l)
		}
	}
}

func TestLead(t *testing.T) {
	for _, tc := range []struct {
		limit, lead, want time.Duration
	}{
		{12 * time.Hour, 0, 5 * time.Minute},
		{50 * time.Minute, 0, 5 * time.Minute},
		{10 * time.Minute, 0, time.Minute},
		{time.Minute, 0, 6 * time.Second},
		{5 * time.Second, 0, time.Second},
		{time.Hour, 90 * time.Second, 90 * time.Second},
		{time.Hour, 1500 * time.Millisecond, 2 * time.Second},
	} {
		if got := (Job{Time: tc.limit, SignalLead: tc.lead}).Lead(); got != tc.want {
			t.Errorf("limit %v, lead %v: got %v, want %v", tc.limit, tc.lead, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := paperJob().Validate(); err != nil {
		t.Fatalf("paper job: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Job)
		want string
	}{
		{func(j *Job) { j.Config = "" }, "no configuration file"},
		{func(j *Job) { j.RunDir = "" }, "no run directory"},
		{func(j *Job) { j.Nodes = 0 }, "nodes = 0"},
		{func(j *Job) { j.TasksPerNode = -1 }, "tasks per node = -1"},
		{func(j *Job) { j.CPUsPerTask = -2 }, "CPUs per task = -2"},
		{func(j *Job) { j.GPUsPerTask = -1 }, "GPUs per task = -1"},
		{func(j *Job) { j.Time = 0 }, "time limit 0s"},
		{func(j *Job) { j.Time = 90500 * time.Millisecond }, "whole number of seconds"},
		{func(j *Job) { j.SignalLead = -time.Second }, "negative"},
		{func(j *Job) { j.SignalLead = 12 * time.Hour }, "not shorter than the time limit 12:00:00"},
		{func(j *Job) { j.Time, j.SignalLead = 48*time.Hour, 20*time.Hour }, "above Slurm's maximum"},
		{func(j *Job) { j.RunDir = "/scratch/my run" }, `run directory "/scratch/my run" contains ' '`},
		{func(j *Job) { j.RunDir = "/scratch/100%" }, `contains '%'`},
		{func(j *Job) { j.Partition = "gpu\n#SBATCH --x" }, "partition"},
		{func(j *Job) { j.JobName = `a"b` }, "job name"},
		{func(j *Job) { j.Config = "a\x00b" }, "NUL"},
		{func(j *Job) { j.Binary = "/opt/my cosmogan" }, "cannot signal"},
	} {
		j := paperJob()
		tc.edit(&j)
		err := j.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
		if _, err2 := j.Script(); err2 == nil {
			t.Errorf("Script accepted the job Validate refuses (%v)", err)
		}
	}
}

func TestParseFormatTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"00:05:00", 5 * time.Minute, "00:05:00"},
		{"12:00:00", 12 * time.Hour, "12:00:00"},
		{"48:00:30", 48*time.Hour + 30*time.Second, "2-00:00:30"},
		{"1-02:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second, "1-02:03:04"},
		{"0-00:00:01", time.Second, "00:00:01"},
		{"1:2:3", time.Hour + 2*time.Minute + 3*time.Second, "01:02:03"},
		{"100:00:00", 100 * time.Hour, "4-04:00:00"},
		{"8760:00:00", 365 * 24 * time.Hour, "365-00:00:00"},
	} {
		got, err := ParseTime(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if s := FormatTime(got); s != tc.out {
			t.Errorf("FormatTime(%v) = %q, want %q", got, s, tc.out)
		}
	}
	for _, bad := range []string{"", "5", "05:00", "00:100:00", "00:00:001", "00:60:00", "00:00:60", "1-24:00:00",
		"-01:00:00", "x-01:00:00", "01:00:00:00", "+1:00:00", "00:00:00", "1h"} {
		if d, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", bad, d)
		}
	}
	// Beyond a year, however large (once overflowing time.Duration into a
	// message about fractional seconds), the limit is said.
	for _, long := range []string{"8760:00:01", "365-00:00:01", "2147483647:00:00", "2147483647-23:59:59"} {
		if d, err := ParseTime(long); err == nil || !strings.Contains(err.Error(), "longer than the limit of 365-00:00:00 (8760 hours") {
			t.Errorf("ParseTime(%q) = %v, %v; want the limit of a year named", long, d, err)
		}
	}
}

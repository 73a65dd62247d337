package daemon

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/parallel"
)

// TestConfigLimitsOfTheFile checks the limits that are not a key's: a
// public status endpoint opted in, and a file without end.
func TestConfigLimitsOfTheFile(t *testing.T) {
	t.Run("opted-in public endpoint", func(t *testing.T) {
		if _, err := ParseConfig("ok.toml", []byte("status_addr = \"0.0.0.0:0\"\nstatus_public = true\n")); err != nil {
			t.Error(err)
		}
	})
	t.Run("endless file", func(t *testing.T) {
		_, err := LoadConfig("/dev/zero")
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("error %v, want a ConfigError about the size", err)
		}
	})
}

// TestMemoryEstimateRefusesWhatCannotFit asks for a dataset far beyond any
// machine's memory: the run must stop before creating anything, naming the
// estimate; the tiny and default configurations must pass.
func TestMemoryEstimateRefusesWhatCannotFit(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Data.Grid, cfg.Data.TrainFields = 65536, 100000 // 1.7 PB of fields
	dir := filepath.Join(t.TempDir(), "run")
	err := Run(context.Background(), cfg, dir, parallel.Single())
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "needs about") || !strings.Contains(err.Error(), "this machine has") {
		t.Fatalf("error %v, want a ConfigError with the estimate and the machine's memory", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run created %s", dir)
	}
	for _, c := range []Config{tinyConfig(t), DefaultConfig()} {
		if err := c.checkMemory(1); err != nil {
			t.Error(err)
		}
	}
}

// TestRunDirIsLocked holds a run directory's lock as a running process does:
// a second run on it must refuse (exit status 2) and name the holder.
func TestRunDirIsLocked(t *testing.T) {
	cfg := tinyConfig(t)
	dir := runDir(t.TempDir())
	unlock, err := dir.lock()
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), cfg, string(dir), parallel.Single())
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "in use by another cosmogan run") || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("error %v, want a ConfigError naming the holder", err)
	}
	unlock()
	cfg.GAN.Steps, cfg.AE.Steps = 2, 2
	if err := Run(context.Background(), cfg, string(dir), parallel.Single()); err != nil {
		t.Fatalf("after the holder released the lock: %v", err)
	}
}

// TestRunDirMustBeARunDirectory refuses a file and a non-empty folder that
// is not a run directory, touching neither, and accepts a new run directory
// that holds only the output file Slurm opened for the job.
func TestRunDirMustBeARunDirectory(t *testing.T) {
	slurmRun := runDir(filepath.Join(t.TempDir(), "slurm-run"))
	os.MkdirAll(string(slurmRun), 0o755)
	os.WriteFile(slurmRun.path("slurm-775926.out"), []byte("job starting\n"), 0o644)
	os.WriteFile(slurmRun.path("slurm-12_3.out"), nil, 0o644) // an array task
	if err := slurmRun.checkUsable(); err != nil {
		t.Errorf("a run directory with Slurm's output file: %v", err)
	}
	// A run killed in its first write leaves only the temporary of state.json.
	killed := runDir(filepath.Join(t.TempDir(), "killed"))
	os.MkdirAll(string(killed), 0o755)
	os.WriteFile(killed.path(".state.json.tmp1513627843"), nil, 0o644)
	if err := killed.checkUsable(); err != nil {
		t.Errorf("a run directory holding a temporary of state.json: %v", err)
	}
	os.WriteFile(killed.path(".notes.txt.tmp42"), nil, 0o644)
	if err := killed.checkUsable(); err == nil {
		t.Error(".notes.txt.tmp42 was taken for a temporary of the run's")
	}
	os.WriteFile(slurmRun.path("slurm-notes.out"), nil, 0o644)
	if err := slurmRun.checkUsable(); err == nil {
		t.Error("slurm-notes.out was taken for a Slurm output file")
	}
	cfg := tinyConfig(t)
	base := t.TempDir()
	file := filepath.Join(base, "notes.txt")
	project := filepath.Join(base, "project")
	os.WriteFile(file, []byte("x"), 0o644)
	os.MkdirAll(project, 0o755)
	os.WriteFile(filepath.Join(project, "config.toml"), []byte("seed = 1\n"), 0o644)
	os.WriteFile(filepath.Join(project, "README.md"), []byte("x"), 0o644)
	for _, dir := range []string{file, project} {
		before := snapshot(t, base)
		err := Run(context.Background(), cfg, dir, parallel.Single())
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %v, want a ConfigError naming it", dir, err)
		}
		after := snapshot(t, base)
		if len(after) != len(before) {
			t.Errorf("%s: the refused run created files: %d before, %d after", dir, len(before), len(after))
		}
	}
}

// TestCheckpointsOfOtherRunsAreSkipped puts a valid checkpoint of a run with
// another configuration into a stopped run's checkpoints, newest: the run
// must skip it with a warning and resume from its own.
func TestCheckpointsOfOtherRunsAreSkipped(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.GAN.CheckpointEvery = 5
	other := cfg
	other.Seed = 99
	a, b := t.TempDir(), t.TempDir()
	if err := Run(newStopAfter(7), other, a, parallel.Single()); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted run: %v", err)
	}
	if err := Run(newStopAfter(7), cfg, b, parallel.Single()); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted run: %v", err)
	}
	own := runDir(b).checkpoints(stageGAN)
	foreign, _ := os.ReadFile(runDir(a).checkpoints(stageGAN)[0])
	if len(own) == 0 || len(foreign) == 0 {
		t.Fatal("the stopped runs wrote no checkpoint")
	}
	if err := os.WriteFile(runDir(b).checkpointPath(stageGAN, 99), foreign, 0o644); err != nil {
		t.Fatal(err)
	}
	cp := checkpointer{dir: runDir(b), stage: stageGAN, log: NewLogger(0), configHash: cfg.hash()}
	want, _ := cp.read(own[0])
	if ck := cp.latest(); ck == nil || want == nil || ck.Step != want.Step {
		t.Fatalf("latest usable checkpoint is not this run's newest, %s", own[0])
	}
	if _, err := cp.read(runDir(b).checkpointPath(stageGAN, 99)); !errors.Is(err, errForeign) {
		t.Errorf("reading the other run's checkpoint: %v, want errForeign", err)
	}
}

// TestAEFallbackToFinalGANIsRecorded damages gan-best.ckpt before the AE
// stage: the AE may train against gan-final.ckpt, but state.json, the log
// and the report must say so.
func TestAEFallbackToFinalGANIsRecorded(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	dir := t.TempDir()
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	rd := runDir(dir)
	best := rd.path("checkpoints", "gan-best.ckpt")
	b, _ := os.ReadFile(best)
	b[len(b)/2] ^= 0xff
	os.WriteFile(best, b, 0o644)
	// Back to the start of the AE stage.
	for _, p := range append(rd.checkpoints(stageAE), rd.path("checkpoints", "ae-final.ckpt")) {
		os.Remove(p)
	}
	st, _ := rd.readState()
	st.Stage = stageAE
	if err := rd.writeState(st); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	st, _ = rd.readState()
	if len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "gan-final.ckpt") || !strings.Contains(st.Notes[0], "gan-best.ckpt") {
		t.Errorf("state.json notes %q, want one naming the fallback", st.Notes)
	}
	page, _ := os.ReadFile(rd.path("report", "report.html"))
	if !strings.Contains(string(page), "not the best") {
		t.Error("report.html does not mention the fallback")
	}
	logs, _ := os.ReadFile(rd.path("logs", "rank-0.jsonl"))
	if !strings.Contains(string(logs), "falling back to the final GAN checkpoint") {
		t.Error("no warning in the log")
	}
}

// TestStaleTemporaryFilesAreRemoved leaves a temporary file behind as a
// SIGKILL during a checkpoint write does: the next start removes it.
func TestStaleTemporaryFilesAreRemoved(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	if err := Run(newStopAfter(3), cfg, dir, parallel.Single()); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted run: %v", err)
	}
	stale, err := os.CreateTemp(runDir(dir).path("checkpoints"), ".gan-000000010.ckpt.tmp*")
	if err != nil {
		t.Fatal(err)
	}
	stale.Close()
	if err := Run(newStopAfter(1), cfg, dir, parallel.Single()); !errors.Is(err, ErrStopped) {
		t.Fatalf("resumed run: %v", err)
	}
	if _, err := os.Stat(stale.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there", stale.Name())
	}
}

// TestDataStageStopsOnSignal cancels the run during its data stage: it must
// stop within a simulation step, not after the whole dataset, and resume.
func TestDataStageStopsOnSignal(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Data.Particles, cfg.Data.Mesh, cfg.Data.SimSteps = 128, 256, 2000 // minutes per field
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err := Run(ctx, cfg, t.TempDir(), parallel.Single())
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("error %v, want ErrStopped", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopped after %v", d)
	}
}

// TestGenerateRefusesWhatIsNotAGenerator gives Generate a file that is not a
// checkpoint and a checkpoint without G: both are the user's input (exit
// status 2), named.
func TestGenerateRefusesWhatIsNotAGenerator(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	if err := Run(newStopAfter(25), cfg, dir, parallel.Single()); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted run: %v", err)
	}
	notCkpt := filepath.Join(dir, "config.toml")
	aeCkpt := runDir(dir).checkpoints(stageAE)
	if len(aeCkpt) == 0 {
		t.Fatal("no AE checkpoint")
	}
	for _, path := range []string{notCkpt, aeCkpt[0]} {
		_, err := Generate(path, 2, 1, 1, filepath.Join(t.TempDir(), "out.npy"))
		if !errors.Is(err, data.ErrBadInput) || ExitStatus(err) != 2 || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want exit status 2 naming the file", path, err)
		}
	}
}

// TestStatusEndpointLimitsConnections holds more idle connections than the
// endpoint serves at once: the extra ones wait in the kernel's queue instead
// of taking the run's file descriptors.
func TestStatusEndpointLimitsConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ll := limitListener(ln, 2)
	defer ll.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ll.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first := <-accepted
	<-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted while two were open")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("closing a connection did not free its slot")
	}
}

// TestStatusServerHasTimeouts checks that no connection can stay open
// forever: read, write and idle timeouts are all set.
func TestStatusServerHasTimeouts(t *testing.T) {
	s, err := startStatus("127.0.0.1:0", runDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.srv.ReadTimeout <= 0 || s.srv.WriteTimeout <= 0 || s.srv.IdleTimeout <= 0 || s.srv.ReadHeaderTimeout <= 0 {
		t.Errorf("server timeouts read %v, write %v, idle %v, header %v: want all set",
			s.srv.ReadTimeout, s.srv.WriteTimeout, s.srv.IdleTimeout, s.srv.ReadHeaderTimeout)
	}
}

// TestBatchNormNeedsTwoValues trains a model whose G starts at one position
// per channel with one sample per rank: batch norm would output β whatever
// z, so the run must be refused, unless batch norm is synchronized.
func TestBatchNormNeedsTwoValues(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Model.GFilters = []int{8, 4, 2, 1} // 16 = 2^4: G's first batch norm has one position
	cfg.GAN.Batch, cfg.AE.Batch = 2, 2
	errs := runRanks(context.Background(), cfg, t.TempDir(), 2)
	var ce *ConfigError
	if !errors.As(errs[0], &ce) || !strings.Contains(errs[0].Error(), "needs at least 2") {
		t.Fatalf("error %v, want a ConfigError about the batch", errs[0])
	}
	if err := CheckBatchNorm(cfg, 1); err != nil {
		t.Errorf("two samples on one rank: %v", err)
	}
	cfg.Train.SyncBatchNorm = true
	if err := CheckBatchNorm(cfg, 2); err != nil {
		t.Errorf("two ranks with synchronized batch norm: %v", err)
	}
}

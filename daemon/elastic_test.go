package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cosmogan/cosmogan/parallel"
)

// runRanksStopped runs cfg in dir on n in-process ranks, the last of which
// is told to stop after stopAt checks (a signal on one rank), and requires
// every rank to stop with a checkpoint.
func runRanksStopped(t *testing.T, cfg Config, dir string, n, stopAt int) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range parallel.NewLocal(n) {
		ctx := context.Background()
		if i == n-1 {
			ctx = newStopAfter(stopAt)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Run(ctx, cfg, dir, c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrStopped) {
			t.Fatalf("rank %d of %d: %v, want stopped", i, n, err)
		}
	}
}

// TestElasticResume stops a 4-rank run in the GAN stage and continues it on
// 2 ranks, which are stopped in the AE stage, then on 1: with synchronized
// batch norm the global batch and its draws are those of any world size, so
// it ends within float32 rounding of the uninterrupted 4-rank run. state.json
// records both changes of world size with where the run continued, and rank
// 0's log says so.
func TestElasticResume(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	cfg.Train.SyncBatchNorm = true
	cfg.GAN.CheckpointEvery = 1000 // only the stops write checkpoints
	cfg.AE.CheckpointEvery = 1000
	whole, split := t.TempDir(), t.TempDir()
	for i, err := range runRanks(context.Background(), cfg, whole, 4) {
		if err != nil {
			t.Fatalf("rank %d: %v", i, err)
		}
	}
	runRanksStopped(t, cfg, split, 4, 7)
	runRanksStopped(t, cfg, split, 2, 13+cfg.GAN.Steps-7)
	if err := Run(context.Background(), cfg, split, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	closeNetworks(t, whole, split, 1e-5)

	st, err := runDir(split).readState()
	if err != nil {
		t.Fatal(err)
	}
	if st.WorldSize != 1 || len(st.WorldSizeChanges) != 2 {
		t.Fatalf("state.json: world_size %d, changes %+v; want 1 and two changes", st.WorldSize, st.WorldSizeChanges)
	}
	// Where each stop lands depends on how often the loop checks for a
	// signal; the change is recorded at the checkpoint the run resumed from.
	for i, want := range []worldSizeChange{{Stage: stageGAN, From: 4, To: 2}, {Stage: stageAE, From: 2, To: 1}} {
		got := st.WorldSizeChanges[i]
		if got.Stage != want.Stage || got.Step <= 0 || got.From != want.From || got.To != want.To || got.Time == "" {
			t.Errorf("world_size_changes[%d] = %+v, want %s %d → %d at a step > 0, with a time", i, got, want.Stage, want.From, want.To)
		}
	}
	log, err := os.ReadFile(filepath.Join(split, "logs", "rank-0.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "world size changed"); n != 2 {
		t.Errorf("rank 0's log records %d changes of world size, want 2", n)
	}
}

// TestSameWorldSizeRecordsNoChange: a run continued on as many ranks keeps
// world_size and records no change.
func TestSameWorldSizeRecordsNoChange(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	dir := t.TempDir()
	runRanksStopped(t, cfg, dir, 2, 5)
	for i, err := range runRanks(context.Background(), cfg, dir, 2) {
		if err != nil {
			t.Fatalf("rank %d: %v", i, err)
		}
	}
	st, err := runDir(dir).readState()
	if err != nil {
		t.Fatal(err)
	}
	if st.WorldSize != 2 || len(st.WorldSizeChanges) != 0 {
		t.Errorf("state.json: world_size %d, changes %+v; want 2 and none", st.WorldSize, st.WorldSizeChanges)
	}
}

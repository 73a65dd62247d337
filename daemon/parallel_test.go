package daemon

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda/cudatest"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// runRanks runs cfg in dir on n in-process ranks and returns each rank's error.
func runRanks(ctx context.Context, cfg Config, dir string, n int) []error {
	comms := parallel.NewLocal(n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Run(ctx, cfg, dir, c)
		}()
	}
	wg.Wait()
	return errs
}

// TestDataParallelMatchesOneRank trains the tiny configuration with
// synchronized batch norm on two ranks and on one, with the same global
// batch, on the CPU and on the GPU (whose batch-norm sums and gradients go
// through the host): the ranks must end identical, and equal to the one-rank
// run within float32 rounding (the sums over ranks associate differently).
func TestDataParallelMatchesOneRank(t *testing.T) {
	for _, device := range []string{"cpu", "cuda"} {
		t.Run(device, func(t *testing.T) {
			if device == "cuda" && testing.Short() {
				t.Skip("the emulated GPU takes half a minute")
			}
			cfg := tinyConfig(t)
			cfg.Device = Device(device)
			tol := 1e-5
			if device == "cuda" && !cudatest.Exact {
				tol = 1e-4 // a GPU's atomic adds round differently in every run
			}
			dataParallelMatchesOneRank(t, cfg, tol)
		})
	}
}

func dataParallelMatchesOneRank(t *testing.T, cfg Config, tol float64) {
	cfg.Train.SyncBatchNorm = true
	cfg.StatusAddr = ""
	one, two := t.TempDir(), t.TempDir()
	if err := Run(context.Background(), cfg, one, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	for i, err := range runRanks(context.Background(), cfg, two, 2) {
		if err != nil {
			t.Fatalf("rank %d: %v", i, err)
		}
	}
	closeNetworks(t, one, two, tol)
	// Both ranks record the same weights_sha256 for each stage.
	for _, stage := range []string{stageGAN, stageAE} {
		var sums []string
		for rank := 0; rank < 2; rank++ {
			sums = append(sums, stageWeights(t, two, rank, stage))
		}
		if sums[0] == "" || sums[0] != sums[1] {
			t.Errorf("%s: weights_sha256 of rank 0 %q and rank 1 %q differ", stage, sums[0], sums[1])
		}
	}
}

// closeNetworks checks that the final GAN and AE networks of the finished
// runs in dirs want and got are equal within tol, relative (2-norm).
func closeNetworks(t *testing.T, want, got string, tol float64) {
	t.Helper()
	for _, name := range []string{"gan-final.ckpt", "ae-final.ckpt"} {
		a, err := model.ReadCheckpoint(filepath.Join(want, "checkpoints", name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := model.ReadCheckpoint(filepath.Join(got, "checkpoints", name))
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Nets {
			pa, pb := a.Nets[i].Params, b.Nets[i].Params
			var diff, norm float64
			for j := range pa {
				d := float64(pa[j] - pb[j])
				diff, norm = diff+d*d, norm+float64(pa[j])*float64(pa[j])
			}
			if rel := math.Sqrt(diff / norm); !(rel < tol) {
				t.Errorf("%s %s: %s differs from %s by %.3g (relative), want < %g", name, a.Nets[i].Name, got, want, rel, tol)
			}
		}
	}
}

func TestBatchMustDivideOverRanks(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	errs := runRanks(context.Background(), cfg, t.TempDir(), 3) // batch 8 over 3 ranks
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "divide evenly over the 3 ranks") {
			t.Errorf("rank %d: error %v, want the batch refused", i, err)
		}
	}
}

// TestSignalOnOneRankStopsEveryRank interrupts rank 1 only: every rank must
// stop after the same step (rank 0 writes the checkpoint), and the job
// continued on two ranks must end as an uninterrupted one.
func TestSignalOnOneRankStopsEveryRank(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	whole, split := t.TempDir(), t.TempDir()
	for _, err := range runRanks(context.Background(), cfg, whole, 2) {
		if err != nil {
			t.Fatal(err)
		}
	}
	comms := parallel.NewLocal(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, c := range comms {
		ctx := context.Background()
		if i == 1 {
			ctx = newStopAfter(5)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Run(ctx, cfg, split, c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), ErrStopped.Error()) {
			t.Fatalf("rank %d: %v, want stopped", i, err)
		}
	}
	for i, err := range runRanks(context.Background(), cfg, split, 2) {
		if err != nil {
			t.Fatalf("rank %d: %v", i, err)
		}
	}
	a, b := stageWeights(t, whole, 0, stageAE), stageWeights(t, split, 0, stageAE)
	if a == "" || a != b {
		t.Errorf("AE weights after the interrupted 2-rank job %q, uninterrupted %q", b, a)
	}
}

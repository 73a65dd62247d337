package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/kernels/cuda/cudatest"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// device = "cuda" runs on the test device: the emulator, or with -tags cuda
// the GPU.
func init() {
	openCUDA = func(int) (*cuda.Device, error) { return cudatest.Open() }
}

// TestGPURunMatchesCPURun runs the tiny configuration with device = "cuda"
// (the emulator unless built with -tags cuda), interrupted once in each
// training stage, and checks that it ends where the uninterrupted run does,
// and within float32 rounding of the CPU run.
func TestGPURunMatchesCPURun(t *testing.T) {
	if testing.Short() {
		t.Skip("three runs on the emulated GPU take about a minute")
	}
	cfg := tinyConfig(t)
	cfg.GAN.CheckpointEvery, cfg.AE.CheckpointEvery = 1000, 1000 // only the interruptions write checkpoints
	cpuDir, gpuDir, splitDir := t.TempDir(), t.TempDir(), t.TempDir()
	if err := Run(context.Background(), cfg, cpuDir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	cfg.Device = "cuda"
	if err := Run(context.Background(), cfg, gpuDir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{7, 13 + cfg.GAN.Steps - 7} {
		if err := Run(newStopAfter(stopAt), cfg, splitDir, parallel.Single()); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run returned %v, want context.Canceled", err)
		}
	}
	if err := Run(context.Background(), cfg, splitDir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gan-final.ckpt", "ae-final.ckpt"} {
		cpu, gpu, split := readNets(t, cpuDir, name), readNets(t, gpuDir, name), readNets(t, splitDir, name)
		for i := range gpu.Nets {
			a, b, c := gpu.Nets[i], split.Nets[i], cpu.Nets[i]
			// The emulator repeats bitwise; a GPU's atomic adds only to rounding.
			if cudatest.Exact && (!equalBits(a.Params, b.Params) || !equalBits(a.State, b.State)) {
				t.Errorf("%s: %s differs between the interrupted and the uninterrupted GPU run", name, a.Name)
			} else if d := cudatest.MaxRelDiff(b.Params, a.Params); d > 1e-4 {
				t.Errorf("%s: %s differs between the interrupted and the uninterrupted GPU run by %.2g of its largest weight (> 1e-4)", name, a.Name, d)
			}
			// The GAN of a few steps is chaotic, but 40 steps stay close.
			if d := cudatest.MaxRelDiff(a.Params, c.Params); d > 1e-3 {
				t.Errorf("%s: %s on the GPU differs from the CPU run by %.2g of its largest weight (> 1e-3)", name, a.Name, d)
			}
		}
	}
}

// TestCUDAWithoutAGPUSaysSo: a binary without CUDA asked for device = "cuda"
// refuses with a message that says how to get one, before touching the run
// directory.
func TestCUDAWithoutAGPUSaysSo(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Device = "cuda"
	saved := openCUDA
	t.Cleanup(func() { openCUDA = saved })
	openCUDA = func(int) (*cuda.Device, error) { return nil, cuda.ErrNotBuilt }
	dir := filepath.Join(t.TempDir(), "run")
	err := Run(context.Background(), cfg, dir, parallel.Single())
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "go build -tags cuda") {
		t.Fatalf("Run = %v, want a configuration error that says how to build with CUDA", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the run directory was created (%v)", err)
	}
}

func readNets(t *testing.T, dir, name string) *model.Checkpoint {
	t.Helper()
	ck, err := model.ReadCheckpoint(filepath.Join(dir, "checkpoints", name))
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

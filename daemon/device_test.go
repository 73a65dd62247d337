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
	ck, err := readCheckpoint(filepath.Join(dir, "checkpoints", name))
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

// TestBenchKernels times the kernels of a tiny architecture on the (emulated)
// GPU: three rows (forward, data and filter gradient) for each convolution,
// with the FLOPs of its multiply-adds counted by hand.
func TestBenchKernels(t *testing.T) {
	gpu, err := openGPU(Config{Device: "cuda"}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	arch := model.Arch{Dim: 3, Size: 8, Latent: 5, Kernel: 4, GFilters: []int{4, 1}, DFilters: []int{2, 4}}
	const batch = 2
	res, err := benchKernels(gpu, arch, batch, 1, H200PeakTFLOPS)
	if err != nil {
		t.Fatal(err)
	}
	// 2·batch·(input channels · output channels · 4³ taps · output positions):
	// G's transposed convolutions 8→4 onto 4³ from 2³ and 4→1 onto 8³ from
	// 4³ (their multiply-adds counted from the small side), then D's
	// convolutions 1→2 onto 4³ and 2→4 onto 2³.
	layers := []float64{8 * 4 * 64 * 8, 4 * 1 * 64 * 64, 1 * 2 * 64 * 64, 2 * 4 * 64 * 8}
	if len(res.Kernels) != 3*len(layers) {
		t.Fatalf("%d kernel rows, want %d", len(res.Kernels), 3*len(layers))
	}
	for i, k := range res.Kernels {
		if want := 2 * batch * layers[i/3]; k.Flops != want || !(k.S > 0) || !(k.GFLOPS > 0) {
			t.Errorf("row %d %+v: want %g FLOPs and a positive time", i, k, want)
		}
	}
}

// TestLocalRankFromEveryLauncher sets each launcher's variable alone, then
// Slurm's beside OpenMPI's: the GPU a rank takes follows the launcher that
// started it.
func TestLocalRankFromEveryLauncher(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, 0},
		{map[string]string{"SLURM_LOCALID": "3"}, 3},
		{map[string]string{"OMPI_COMM_WORLD_LOCAL_RANK": "2"}, 2},
		{map[string]string{"MPI_LOCALRANKID": "5"}, 5},
		{map[string]string{"PMI_LOCAL_RANK": "1"}, 1},
		{map[string]string{"PMIX_LOCAL_RANK": "7"}, 7},
		{map[string]string{"SLURM_LOCALID": "1", "OMPI_COMM_WORLD_LOCAL_RANK": "4"}, 1},
	} {
		got, err := localRank(func(k string) string { return tc.env[k] })
		if err != nil || got != tc.want {
			t.Errorf("%v: local rank %d (%v), want %d", tc.env, got, err, tc.want)
		}
	}
	if _, err := localRank(func(k string) string { return map[string]string{"PMIX_LOCAL_RANK": "x"}[k] }); err == nil || !strings.Contains(err.Error(), "PMIX_LOCAL_RANK") {
		t.Errorf("a malformed value: error %v, want one naming the variable", err)
	}
}

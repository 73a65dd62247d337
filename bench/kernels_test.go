package bench

import (
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda/cudatest"
	"github.com/cosmogan/cosmogan/model"
)

// TestBenchKernels times the kernels of a tiny architecture on the (emulated)
// GPU: three rows (forward, data and filter gradient) for each convolution,
// with the FLOPs of its multiply-adds counted by hand.
func TestBenchKernels(t *testing.T) {
	gpu, err := cudatest.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	arch := model.Arch{Dim: 3, Size: 8, Latent: 5, Kernel: 4, GFilters: []int{4, 1}, DFilters: []int{2, 4}}
	const batch = 2
	res, err := kernelsOn(gpu, arch, batch, 1, H200PeakTFLOPS)
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

package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/model"
)

// H200PeakTFLOPS is the FP32 peak of an NVIDIA H200 without tensor cores,
// the default to read the GPU kernels' throughput against.
const H200PeakTFLOPS = 67

// KernelResult is the timing of one GPU convolution kernel on one layer's
// geometry.
type KernelResult struct {
	Net    string  `json:"net"`
	Layer  string  `json:"layer"`
	Kernel string  `json:"kernel"` // conv_fwd, conv_bwd_data or conv_bwd_filter
	Flops  float64 `json:"flops"`  // of the batch
	S      float64 `json:"seconds"`
	GFLOPS float64 `json:"gflops"`
	OfPeak float64 `json:"of_peak"` // fraction of the peak
}

// KernelsResult is `cosmogan bench kernels`.
type KernelsResult struct {
	Dim, Batch, Reps int
	Device           string
	PeakTFLOPS       float64
	Kernels          []KernelResult
}

// Kernels times the three convolution kernels (forward, data gradient,
// filter gradient) on the geometry of every convolution and transposed
// convolution of the paper's G and D (Table A.1 for dim 2, A.2 for dim 3) on
// the first GPU, each the median of reps launches after one warm-up, and
// reads them against peakTFLOPS. Every kernel does the convolution's
// 2·multiply-adds FLOPs.
func Kernels(dim, batch, reps int, peakTFLOPS float64) (KernelsResult, error) {
	arch, err := paperArch(dim)
	if err != nil {
		return KernelsResult{}, err
	}
	if batch < 1 || reps < 1 || peakTFLOPS <= 0 {
		return KernelsResult{}, argErrorf("--batch %d, --steps %d, --peak-tflops %g: want all > 0", batch, reps, peakTFLOPS)
	}
	gpu, err := openGPU(0)
	if err != nil {
		return KernelsResult{}, err
	}
	defer gpu.Close()
	return kernelsOn(gpu, arch, batch, reps, peakTFLOPS)
}

// geometric is a layer that runs as a convolution (model.Conv and
// model.ConvTranspose).
type geometric interface {
	Geometry() (kernels.ConvShape, int)
}

func kernelsOn(gpu *cuda.Device, arch model.Arch, batch, reps int, peakTFLOPS float64) (KernelsResult, error) {
	res := KernelsResult{Dim: arch.Dim, Batch: batch, Reps: reps, Device: gpu.Name(), PeakTFLOPS: peakTFLOPS}
	g, err := model.NewGenerator(arch)
	if err != nil {
		return res, err
	}
	d, err := model.NewDiscriminator(arch)
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) cuda.F32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		b := cuda.Alloc[float32](gpu, n)
		cuda.Upload(gpu, b, x)
		return b
	}
	for _, n := range []*model.Net{g, d} {
		for _, l := range n.Layers {
			c, ok := l.(geometric)
			if !ok {
				continue
			}
			mark := gpu.Mark()
			s, out := c.Geometry()
			conv := gpu.NewConv(s, out)
			w, x, y := random(out*s.Rows()), random(batch*s.C*s.ImageVolume()), random(batch*out*s.ColVolume())
			flops := 2 * float64(batch) * float64(out*s.Rows()*s.ColVolume())
			for _, k := range []struct {
				name string
				run  func()
			}{
				{"conv_fwd", func() { gpu.ConvForward(conv, batch, w, x, cuda.F32{}, y) }},
				{"conv_bwd_data", func() { gpu.ConvBackwardData(conv, batch, w, y, cuda.F32{}, x) }},
				{"conv_bwd_filter", func() { gpu.ConvBackwardFilter(conv, batch, y, x, w) }},
			} {
				sec, err := median(reps, func() error { k.run(); return gpu.Synchronize() })
				if err != nil {
					return res, fmt.Errorf("%s on %v: %w", k.name, l, err)
				}
				gf := flops / sec / 1e9
				res.Kernels = append(res.Kernels, KernelResult{Net: n.Name, Layer: fmt.Sprint(l), Kernel: k.name,
					Flops: flops, S: sec, GFLOPS: gf, OfPeak: gf / (peakTFLOPS * 1e3)})
			}
			gpu.Release(mark)
		}
	}
	return res, gpu.Err()
}

package daemon

import (
	"math/rand/v2"
	"sort"
	"time"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// StepBench is the result of timing GAN training steps.
type StepBench struct {
	Dim          int     `json:"dim"`
	Batch        int     `json:"batch"`
	Threads      int     `json:"threads"`
	Steps        int     `json:"steps"`
	StepSeconds  float64 `json:"step_seconds"` // median over the timed steps
	SamplesPerS  float64 `json:"samples_per_s"`
	GFLOPS       float64 `json:"gflops"`
	FlopsPerStep float64 `json:"flops_per_step"`
	FlopsG       int     `json:"fg_per_sample"` // forward FLOPs of G per sample
	FlopsD       int     `json:"fd_per_sample"` // forward FLOPs of D per sample
}

// BenchStep times full GAN training steps of the paper's networks (Table A.1
// for dim 2, A.2 for dim 3) on random data, after one warm-up step. FLOPs
// count 2 per multiply-add of the convolution and dense layers; a step is G
// forward + backward (3 forwards' worth) and three D forward + backward
// passes (9), per sample: batch·(3·F_G + 9·F_D). scripts/bench_torch.py
// counts the PyTorch peer the same way.
func BenchStep(dim, batch, steps, threads int) (StepBench, error) {
	arch := model.Paper2D()
	if dim == 3 {
		arch = model.Paper3D()
	} else if dim != 2 {
		return StepBench{}, configErrorf("--dim %d: want 2 or 3", dim)
	}
	if batch < 1 || steps < 1 {
		return StepBench{}, configErrorf("--batch %d, --steps %d: want both ≥ 1", batch, steps)
	}
	team := kernels.NewTeam(threads)
	defer team.Close()
	ctx := model.NewCtx(team)
	rng := rand.New(rand.NewPCG(1, 2))
	gan, err := model.NewGAN(arch, model.DefaultAdam(), rng)
	if err != nil {
		return StepBench{}, err
	}
	b := model.NewGANBatch(arch, batch)
	for i := range b.Real {
		b.Real[i] = float32(2*rng.Float64() - 1)
	}
	for i := range batch {
		b.Draw(i, 0.05, rng)
	}
	if _, err := gan.Step(ctx, b); err != nil { // warm-up: buffers, caches
		return StepBench{}, err
	}
	times := make([]float64, steps)
	for i := range times {
		start := time.Now()
		if _, err := gan.Step(ctx, b); err != nil {
			return StepBench{}, err
		}
		times[i] = time.Since(start).Seconds()
	}
	sort.Float64s(times)
	median := times[steps/2]
	if steps%2 == 0 {
		median = (times[steps/2-1] + times[steps/2]) / 2
	}
	fg, fd := gan.G.FLOPs(), gan.D.FLOPs()
	flops := float64(batch) * float64(3*fg+9*fd)
	return StepBench{Dim: dim, Batch: batch, Threads: team.Threads(), Steps: steps, StepSeconds: median,
		SamplesPerS: float64(batch) / median, GFLOPS: flops / median / 1e9, FlopsPerStep: flops,
		FlopsG: fg, FlopsD: fd}, nil
}

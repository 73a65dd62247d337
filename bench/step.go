package bench

import (
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// StepResult is the result of timing GAN training steps.
type StepResult struct {
	Dim          int     `json:"dim"`
	Batch        int     `json:"batch"`
	Device       string  `json:"device"` // "cpu", or the GPU's name
	Threads      int     `json:"threads"`
	Steps        int     `json:"steps"`
	StepSeconds  float64 `json:"step_seconds"` // median over the timed steps
	SamplesPerS  float64 `json:"samples_per_s"`
	GFLOPS       float64 `json:"gflops"`
	FlopsPerStep float64 `json:"flops_per_step"`
	FlopsG       int     `json:"fg_per_sample"` // forward FLOPs of G per sample
	FlopsD       int     `json:"fd_per_sample"` // forward FLOPs of D per sample
}

// Step times full GAN training steps of the paper's networks (Table A.1
// for dim 2, A.2 for dim 3) on random data, after one warm-up step. FLOPs
// count 2 per multiply-add of the convolution and dense layers; a step is G
// forward + backward (3 forwards' worth) and three D forward + backward
// passes (9), per sample: batch·(3·F_G + 9·F_D). scripts/bench_torch.py
// counts the PyTorch peer the same way. With device "cuda" the steps run on
// the first GPU (model.GPU), the batch uploaded each step as in training.
func Step(dim, batch, steps, threads int, device string) (StepResult, error) {
	arch, err := paperArch(dim)
	if err != nil {
		return StepResult{}, err
	}
	if batch < 1 || steps < 1 {
		return StepResult{}, argErrorf("--batch %d, --steps %d: want both ≥ 1", batch, steps)
	}
	if device != "cpu" && device != "cuda" {
		return StepResult{}, argErrorf("--device %q: want cpu or cuda", device)
	}
	team := kernels.NewTeam(threads)
	defer team.Close()
	ws := model.NewWorkspace(team)
	rng := rand.New(rand.NewPCG(1, 2))
	gan, err := model.NewGAN(arch, model.DefaultAdam(), rng)
	if err != nil {
		return StepResult{}, err
	}
	res := StepResult{Dim: dim, Batch: batch, Device: "cpu", Threads: team.Threads(), Steps: steps}
	on := model.CPU(ws)
	if device != "cpu" {
		gpu, err := openGPU(0)
		if err != nil {
			return StepResult{}, err
		}
		defer gpu.Close()
		on, res.Device = model.GPU(gpu), gpu.Name()
	}
	trainer, err := model.NewGANTrainer(gan, on)
	if err != nil {
		return StepResult{}, err
	}
	defer trainer.Close()
	b := model.NewGANBatch(arch, batch)
	for i := range b.Real {
		b.Real[i] = float32(2*rng.Float64() - 1)
	}
	for i := range batch {
		b.Draw(i, 0.05, rng)
	}
	median, err := median(steps, func() error { _, err := trainer.Step(b); return err })
	if err != nil {
		return StepResult{}, err
	}
	fg, fd := gan.G.FLOPs(), gan.D.FLOPs()
	flops := float64(batch) * float64(3*fg+9*fd)
	res.StepSeconds, res.SamplesPerS, res.GFLOPS = median, float64(batch)/median, flops/median/1e9
	res.FlopsPerStep, res.FlopsG, res.FlopsD = flops, fg, fd
	return res, nil
}

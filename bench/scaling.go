package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// ScalingConfig is what the scaling benchmark takes of a run's
// configuration: the GAN stage's networks, optimizer, global batch and label
// noise, the threads per rank, the seed of the draws, and the device.
type ScalingConfig struct {
	Arch       model.Arch
	Adam       model.AdamConfig
	Batch      int     // global batch (gan.batch)
	LabelNoise float64 // gan.label_noise
	Threads    int     // per rank; 0 = all cores
	Seed       uint64
	CUDA       bool // each rank steps on its GPU (device = "cuda")
}

// ScalingResult is what `cosmogan bench scaling` measures on each rank, for
// the GAN step of a configuration at its global batch split over the ranks.
type ScalingResult struct {
	Ranks          int     `json:"ranks"`
	Rank           int     `json:"rank"`
	Device         string  `json:"device"` // "cpu", or this rank's GPU
	GlobalBatch    int     `json:"global_batch"`
	ComputeSeconds float64 `json:"compute_s"`   // median GAN step on this rank's part, without communication
	ReduceSeconds  float64 `json:"allreduce_s"` // median all-reduce of both networks' gradients
	ReduceBytes    int     `json:"allreduce_bytes"`
	LatencySeconds float64 `json:"latency_s"`  // median all-reduce of one value
	OneRankSeconds float64 `json:"one_rank_s"` // rank 0 alone on the whole global batch (median)
	SamplesPerS    float64 `json:"samples_per_s"`
	Efficiency     float64 `json:"efficiency"` // one_rank_s / (ranks · (compute_s + allreduce_s))
}

// Scaling times the GAN step of cfg's networks data-parallel on comm:
// computation and gradient all-reduce separately, a one-value all-reduce for
// the latency, and the whole global batch on one rank's cores for the
// efficiency. With cfg.CUDA each rank steps on its GPU (the node's GPUs taken
// in turn by parallel.LocalRank), the gradients' round trip through the host
// counted as computation.
func Scaling(cfg ScalingConfig, steps int, comm parallel.Comm) (ScalingResult, error) {
	size := comm.Size()
	if cfg.Batch%size != 0 {
		return ScalingResult{}, argErrorf("gan.batch = %d does not divide over %d ranks", cfg.Batch, size)
	}
	if steps < 1 {
		return ScalingResult{}, argErrorf("--steps %d: want ≥ 1", steps)
	}
	team := kernels.NewTeam(cfg.Threads)
	defer team.Close()
	ws := model.NewWorkspace(team)
	gan, err := model.NewGAN(cfg.Arch, cfg.Adam, rand.New(rand.NewPCG(cfg.Seed, 1)))
	if err != nil {
		return ScalingResult{}, &ArgError{err}
	}
	res := ScalingResult{Ranks: size, Rank: comm.Rank(), Device: "cpu", GlobalBatch: cfg.Batch,
		ReduceBytes: 4 * (len(gan.G.Grads) + len(gan.D.Grads))}
	on := model.CPU(ws)
	if cfg.CUDA {
		local, err := parallel.LocalRank(os.Getenv)
		if err != nil {
			return res, err
		}
		gpu, err := openGPU(local)
		if err != nil {
			return res, err
		}
		defer gpu.Close()
		on, res.Device = model.GPU(gpu), gpu.Name()
	}
	trainer, err := model.NewGANTrainer(gan, on)
	if err != nil {
		return res, err
	}
	defer trainer.Close()
	timeSteps := func(n int) (float64, error) {
		b := model.NewGANBatch(cfg.Arch, n)
		rng := rand.New(rand.NewPCG(cfg.Seed, 2))
		for i := range b.Real {
			b.Real[i] = float32(2*rng.Float64() - 1)
		}
		for i := range n {
			b.Draw(i, cfg.LabelNoise, rng)
		}
		return median(steps, func() error { _, err := trainer.Step(b); return err })
	}
	if res.ComputeSeconds, err = timeSteps(cfg.Batch / size); err != nil {
		return res, err
	}
	if res.ReduceSeconds, err = median(steps, func() error {
		if err := comm.AllReduceSum(gan.D.Grads); err != nil {
			return err
		}
		return comm.AllReduceSum(gan.G.Grads)
	}); err != nil {
		return res, err
	}
	one := []float64{0}
	if res.LatencySeconds, err = median(max(steps, 50), func() error { return comm.AllReduceSum64(one) }); err != nil {
		return res, err
	}
	// The baseline: the whole global batch on one rank's cores. Every rank
	// times it at once, each on its own cores, so that no rank waits in a
	// collective (MPI waits by spinning) while another is being timed.
	if res.OneRankSeconds, err = timeSteps(cfg.Batch); err != nil {
		return res, err
	}
	t := []float64{res.OneRankSeconds}
	if err := comm.AllReduceSum64(t); err != nil {
		return res, err
	}
	res.OneRankSeconds = t[0] / float64(size)
	total := res.ComputeSeconds + res.ReduceSeconds
	res.SamplesPerS = float64(cfg.Batch) / total
	res.Efficiency = res.OneRankSeconds / (float64(size) * total)
	return res, nil
}

// Projection is the projected efficiency of data parallelism on n GPUs.
type Projection struct {
	GPUs       int     `json:"gpus"`
	ReduceS    float64 `json:"allreduce_s"`
	Efficiency float64 `json:"efficiency"`
}

// ProjectRing projects the weak-scaling efficiency of a step that computes
// for stepCompute seconds per GPU and then all-reduces bytes of gradients
// with a ring over n GPUs: 2(n−1) messages of bytes/n each, every one costing
// the measured latency plus its size over the link bandwidth (linkGbps),
// without overlap of communication and computation (a lower bound).
func ProjectRing(gpus []int, stepCompute, latency float64, bytes int, linkGbps float64) ([]Projection, error) {
	if !(stepCompute > 0) || !(linkGbps > 0) || latency < 0 {
		return nil, argErrorf("--step-compute %g and --link-gbps %g must be positive", stepCompute, linkGbps)
	}
	var out []Projection
	for _, n := range gpus {
		if n < 1 {
			return nil, argErrorf("--project-gpus: %d GPUs, want ≥ 1", n)
		}
		msgs := 2 * float64(n-1)
		t := msgs * (latency + float64(bytes)/float64(n)*8/(linkGbps*1e9))
		out = append(out, Projection{GPUs: n, ReduceS: t, Efficiency: stepCompute / (stepCompute + t)})
	}
	return out, nil
}

// String formats a scaling measurement for the terminal.
func (s ScalingResult) String() string {
	return fmt.Sprintf("rank %d/%d: compute %.4f s, all-reduce %.4f s (%.1f MB, %.1f GB/s), latency %.1f µs, %.1f samples/s, efficiency %.2f vs one rank (%.4f s for %d samples)",
		s.Rank, s.Ranks, s.ComputeSeconds, s.ReduceSeconds, float64(s.ReduceBytes)/1e6,
		float64(s.ReduceBytes)/math.Max(s.ReduceSeconds, 1e-12)/1e9, s.LatencySeconds*1e6, s.SamplesPerS, s.Efficiency, s.OneRankSeconds, s.GlobalBatch)
}

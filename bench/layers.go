package bench

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// LayerResult is the timing of one layer of the paper's G or D on a batch.
type LayerResult struct {
	Net       string  `json:"net"` // "G" or "D"
	Index     int     `json:"index"`
	Layer     string  `json:"layer"`
	Values    int     `json:"values_per_sample"` // output values per sample
	Flops     float64 `json:"flops"`             // forward FLOPs of the batch (backward: twice as many)
	ForwardS  float64 `json:"forward_s"`         // medians
	BackwardS float64 `json:"backward_s"`
	ForwardG  float64 `json:"forward_gflops"`
	BackwardG float64 `json:"backward_gflops"`
}

// LayersResult is `cosmogan bench layers`: every layer of the paper's
// networks, with the GEMM ceiling (Sgemm at n = 1024 on the same threads) to
// read each layer's GFLOP/s against.
type LayersResult struct {
	Dim, Batch, Threads, Reps int
	CeilingGFLOPS             float64
	Layers                    []LayerResult
}

// Layers times the forward and the backward pass (parameter gradients
// and input gradient, as in D during the G update) of every layer of the
// paper's G and D (Table A.1 for dim 2, A.2 for dim 3) in training mode on a
// batch of random data, each the median of reps runs after one warm-up run.
// The layers see the activations the previous layers produced, so batch norm
// and activations work on realistic values.
func Layers(dim, batch, reps, threads int) (LayersResult, error) {
	arch, err := paperArch(dim)
	if err != nil {
		return LayersResult{}, err
	}
	if batch < 1 || reps < 1 {
		return LayersResult{}, argErrorf("--batch %d, --steps %d: want both ≥ 1", batch, reps)
	}
	team := kernels.NewTeam(threads)
	defer team.Close()
	ws := model.NewWorkspace(team)
	rng := rand.New(rand.NewPCG(1, 2))
	res := LayersResult{Dim: dim, Batch: batch, Threads: team.Threads(), Reps: reps}
	ceiling := gemmShapes[0]
	res.CeilingGFLOPS = 2 * float64(ceiling.M*ceiling.N*ceiling.K) / gemmSeconds(team, ceiling, reps) / 1e9
	g, err := model.NewGenerator(arch)
	if err != nil {
		return LayersResult{}, err
	}
	d, err := model.NewDiscriminator(arch)
	if err != nil {
		return LayersResult{}, err
	}
	for _, n := range []*model.Net{g, d} {
		n.Init(rng)
		x := make([]float32, batch*n.In.Size())
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i, l := range n.Layers {
			var y []float32
			fwd := timed(reps, nil, func() { y = l.Forward(ws, x, batch, true) })
			dy := make([]float32, len(y))
			for k := range dy {
				dy[k] = float32(rng.NormFloat64())
			}
			// Backward needs the Forward just before it.
			bwd := timed(reps, func() { l.Forward(ws, x, batch, true) }, func() { l.Backward(ws, dy, true, true) })
			flops := float64(batch) * float64(l.FLOPs())
			res.Layers = append(res.Layers, LayerResult{Net: n.Name, Index: i, Layer: fmt.Sprint(l),
				Values: len(y) / batch, Flops: flops, ForwardS: fwd, BackwardS: bwd,
				ForwardG: flops / fwd / 1e9, BackwardG: 2 * flops / bwd / 1e9})
			x = y
		}
	}
	return res, nil
}

// timed runs prep (untimed, when not nil) and then f, reps+1 times, and
// returns the median time of f over the last reps runs: the first warms up
// buffers and caches. Every benchmark times through it.
func timed(reps int, prep, f func()) float64 {
	ts := make([]float64, reps+1)
	for i := range ts {
		if prep != nil {
			prep()
		}
		start := time.Now()
		f()
		ts[i] = time.Since(start).Seconds()
	}
	ts = ts[1:]
	sort.Float64s(ts)
	return ts[reps/2]
}

// median is timed for work that can fail: the median time of f, or its
// first error (after which f is not called again).
func median(reps int, f func() error) (float64, error) {
	var err error
	t := timed(reps, nil, func() {
		if err == nil {
			err = f()
		}
	})
	return t, err
}

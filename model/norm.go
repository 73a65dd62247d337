package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// BatchNorm normalizes each channel over the batch and spatial positions
// (BatchNorm1d/2d/3d of PyTorch, momentum 0.1, eps 1e-5). In training mode it
// uses the batch statistics and updates the running ones; in inference mode
// (and for frozen networks) it uses the running statistics. Parameters: γ then
// β; state: running mean then running variance.
//
// With Sync set, the batch statistics (and, backward, the sums the input
// gradient needs) are summed over the data-parallel ranks: synchronized batch
// norm, which normalizes every rank's samples as one global batch would.
// Without it each rank normalizes its own part, as PyTorch's DDP does.
type BatchNorm struct {
	Sync Sync

	c, p            int
	gamma, beta     []float32
	dGamma, dBeta   []float32
	runMean, runVar []float32
	batch           int
	n               float64 // values per channel behind the statistics (all ranks)
	train           bool
	y, xhat, dx     []float32
	sums            []float64 // 2c per-channel sums, forward and backward
	mean, invStd    []float32
	k0, k1, k2      []float32 // backward coefficients
}

const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

func (l *BatchNorm) Setup(in Shape) (Shape, int, int, error) {
	l.c, l.p = in.C, in.Volume()
	l.sums = make([]float64, 2*l.c)
	l.mean, l.invStd = make([]float32, l.c), make([]float32, l.c)
	l.k0, l.k1, l.k2 = make([]float32, l.c), make([]float32, l.c), make([]float32, l.c)
	return in, 2 * l.c, 2 * l.c, nil
}

func (l *BatchNorm) Bind(params, grads, state []float32) {
	l.gamma, l.beta = params[:l.c], params[l.c:]
	l.dGamma, l.dBeta = grads[:l.c], grads[l.c:]
	l.runMean, l.runVar = state[:l.c], state[l.c:]
}

// Init draws γ from N(1, 0.02²) as DCGAN does, zeroes β and resets the
// running statistics to mean 0, variance 1.
func (l *BatchNorm) Init(rng *rand.Rand) {
	normalInit(rng, l.gamma, 1, 0.02)
	clear(l.beta)
	clear(l.runMean)
	for i := range l.runVar {
		l.runVar[i] = 1
	}
}

// sumOverRanks adds up the per-channel sums of every rank.
func (l *BatchNorm) sumOverRanks() {
	if l.Sync != nil && l.Sync.Size() > 1 {
		if err := l.Sync.AllReduceSum64(l.sums); err != nil {
			panic(err) // a broken communicator leaves no way to continue the step
		}
	}
}

func (l *BatchNorm) ranks() int {
	if l.Sync == nil {
		return 1
	}
	return l.Sync.Size()
}

func (l *BatchNorm) Forward(ws *Workspace, x []float32, batch int, train bool) []float32 {
	l.batch, l.train = batch, train
	size := batch * l.c * l.p
	y, xhat := kernels.Grow(&l.y, size), kernels.Grow(&l.xhat, size)
	if train {
		kernels.BatchNormSums(ws.Team, batch, l.c, l.p, x, l.sums)
		l.sumOverRanks()
		l.n = float64(batch * l.p * l.ranks())
		for ch := range l.c {
			mean := l.sums[ch] / l.n
			variance := max(l.sums[l.c+ch]/l.n-mean*mean, 0)
			l.mean[ch], l.invStd[ch] = float32(mean), float32(1/math.Sqrt(variance+bnEps))
			unbiased := variance
			if l.n > 1 {
				unbiased = variance * l.n / (l.n - 1)
			}
			l.runMean[ch] = float32((1-bnMomentum)*float64(l.runMean[ch]) + bnMomentum*mean)
			l.runVar[ch] = float32((1-bnMomentum)*float64(l.runVar[ch]) + bnMomentum*unbiased)
		}
	} else {
		for ch := range l.c {
			l.mean[ch], l.invStd[ch] = l.runMean[ch], float32(1/math.Sqrt(float64(l.runVar[ch])+bnEps))
		}
	}
	kernels.BatchNormApply(ws.Team, batch, l.c, l.p, x, l.mean, l.invStd, l.gamma, l.beta, xhat, y)
	return y
}

// Backward: dβ = Σdy, dγ = Σdy·x̂; in training mode the statistics depend on
// x, so dx = γ·invStd·(dy − Σdy/n − x̂·Σdy·x̂/n) with the sums over the whole
// (synchronized) batch; in inference mode dx = γ·invStd·dy.
func (l *BatchNorm) Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32 {
	if paramGrads || l.train { // a frozen layer in inference mode needs no sums
		kernels.BatchNormGradSums(ws.Team, l.batch, l.c, l.p, dy, l.xhat, l.sums)
	}
	if paramGrads {
		// Parameter gradients stay per rank; the step averages them.
		for ch := range l.c {
			l.dBeta[ch] += float32(l.sums[ch])
			l.dGamma[ch] += float32(l.sums[l.c+ch])
		}
	}
	if !needDx {
		return nil
	}
	if l.train {
		l.sumOverRanks()
	}
	for ch := range l.c {
		k := l.gamma[ch] * l.invStd[ch]
		l.k1[ch], l.k0[ch], l.k2[ch] = k, 0, 0
		if l.train {
			l.k0[ch] = float32(float64(k) * l.sums[ch] / l.n)
			l.k2[ch] = float32(float64(k) * l.sums[l.c+ch] / l.n)
		}
	}
	dx := kernels.Grow(&l.dx, l.batch*l.c*l.p)
	kernels.BatchNormBackwardData(ws.Team, l.batch, l.c, l.p, dy, l.xhat, l.k0, l.k1, l.k2, dx)
	return dx
}

func (l *BatchNorm) FLOPs() int { return 0 }

// String describes the layer, e.g. "batchnorm 64×4096" (channels × positions).
func (l *BatchNorm) String() string { return fmt.Sprintf("batchnorm %d×%d", l.c, l.p) }

// deviceBatchNorm is BatchNorm on the device. The per-channel sums are
// computed there; with synchronized batch norm over several ranks they make a
// round trip through the host for the all-reduce (2·channels doubles).
type deviceBatchNorm struct {
	l                          *BatchNorm
	dev                        *cuda.Device
	gamma, beta, dGamma, dBeta cuda.F32
	runMean, runVar            cuda.F32
	sums                       cuda.Buffer[float64]
	mean, invStd, k            cuda.F32
	batch                      int
	n                          float64
	train                      bool
	y, xhat, dx                cuda.F32
}

func (l *BatchNorm) onGPU(p deviceParams) deviceLayer {
	c, dev := l.c, p.dev
	return &deviceBatchNorm{l: l, dev: dev,
		gamma: p.params.Slice(p.at, p.at+c), beta: p.params.Slice(p.at+c, p.at+2*c),
		dGamma: p.grads.Slice(p.at, p.at+c), dBeta: p.grads.Slice(p.at+c, p.at+2*c),
		runMean: p.state.Slice(p.stateAt, p.stateAt+c), runVar: p.state.Slice(p.stateAt+c, p.stateAt+2*c),
		sums: cuda.Alloc[float64](dev, 2*c), mean: cuda.Alloc[float32](dev, c), invStd: cuda.Alloc[float32](dev, c),
		k: cuda.Alloc[float32](dev, 3*c)}
}

// sumOverRanks adds up the sums of every rank (synchronized batch norm).
func (d *deviceBatchNorm) sumOverRanks() {
	if d.l.Sync == nil || d.l.Sync.Size() < 2 {
		return
	}
	cuda.Download(d.dev, d.l.sums, d.sums)
	if err := d.dev.Synchronize(); err != nil {
		panic(err) // as in BatchNorm: no way to continue the step
	}
	if err := d.l.Sync.AllReduceSum64(d.l.sums); err != nil {
		panic(err)
	}
	cuda.Upload(d.dev, d.sums, d.l.sums)
}

func (d *deviceBatchNorm) forward(x cuda.F32, batch int, train bool) cuda.F32 {
	c, p := d.l.c, d.l.p
	d.batch, d.train = batch, train
	y, xhat := grow(d.dev, &d.y, batch*c*p), grow(d.dev, &d.xhat, batch*c*p)
	if train {
		d.dev.ChannelMoments(batch, c, p, x, x, d.sums)
		d.sumOverRanks()
		d.n = float64(batch * p * d.l.ranks())
	}
	d.dev.BatchNormStats(c, d.n, train, bnMomentum, bnEps, d.sums, d.mean, d.invStd, d.runMean, d.runVar)
	d.dev.BatchNormApply(batch, c, p, x, d.mean, d.invStd, d.gamma, d.beta, xhat, y)
	return y
}

func (d *deviceBatchNorm) backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32 {
	c, p := d.l.c, d.l.p
	d.dev.ChannelMoments(d.batch, c, p, dy, d.xhat, d.sums)
	if paramGrads {
		d.dev.AddSums(d.sums.Slice(0, c), d.dBeta)
		d.dev.AddSums(d.sums.Slice(c, 2*c), d.dGamma)
	}
	if !needDx {
		return cuda.F32{}
	}
	if d.train {
		d.sumOverRanks()
	}
	d.dev.BatchNormCoeffs(c, d.n, d.train, d.sums, d.gamma, d.invStd, d.k)
	dx := grow(d.dev, &d.dx, d.batch*c*p)
	d.dev.BatchNormBackwardData(d.batch, c, p, dy, d.xhat, d.k, dx)
	return dx
}

package model

import (
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
)

// BatchNorm normalizes each channel over the batch and spatial positions
// (BatchNorm1d/2d/3d of PyTorch, momentum 0.1, eps 1e-5). In training mode it
// uses the batch statistics and updates the running ones; in inference mode
// (and for frozen networks) it uses the running statistics. Parameters: γ then
// β; state: running mean then running variance.
type BatchNorm struct {
	c, p            int
	gamma, beta     []float32
	dGamma, dBeta   []float32
	runMean, runVar []float32
	batch           int
	train           bool
	y, xhat, dx     []float32
	mean, invStd    []float32
}

const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

func (l *BatchNorm) Setup(in Shape) (Shape, int, int, error) {
	l.c, l.p = in.C, in.Volume()
	l.mean, l.invStd = make([]float32, l.c), make([]float32, l.c)
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

func (l *BatchNorm) Forward(ctx *Ctx, x []float32, batch int, train bool) []float32 {
	l.batch, l.train = batch, train
	n := batch * l.c * l.p
	y, xhat := grow(&l.y, n), grow(&l.xhat, n)
	if train {
		kernels.BatchNormTrain(ctx.Team, batch, l.c, l.p, x, l.gamma, l.beta, y, xhat, l.mean, l.invStd, l.runMean, l.runVar, bnMomentum, bnEps)
	} else {
		kernels.BatchNormInfer(ctx.Team, batch, l.c, l.p, x, l.gamma, l.beta, y, xhat, l.runMean, l.runVar, bnEps)
	}
	return y
}

func (l *BatchNorm) Backward(ctx *Ctx, dy []float32, paramGrads, needDx bool) []float32 {
	var dx, dg, db []float32
	if needDx {
		dx = grow(&l.dx, l.batch*l.c*l.p)
	}
	if paramGrads {
		dg, db = l.dGamma, l.dBeta
	}
	kernels.BatchNormBackward(ctx.Team, l.train, l.batch, l.c, l.p, dy, l.xhat, l.gamma, l.invStd, l.runVar, dx, dg, db, bnEps)
	return dx
}

func (l *BatchNorm) FLOPs() int { return 0 }

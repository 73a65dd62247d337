package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
)

// MinibatchStd appends one channel to its input: the standard deviation of
// every input value over the samples of the batch, averaged over channels
// and positions, the same for every sample and position (Karras et al. 2018,
// "Progressive growing of GANs", §3). The layers before it see one sample at
// a time; with it, D sees how varied a batch is, so a generator whose samples
// collapse onto a few is told apart from the data. It has no parameters. The
// statistic is the batch's in inference mode too (there is no running one),
// and each data-parallel rank takes it over its own part of the batch, as
// batch norm without synchronization does.
//
//	m_f = Σ_b x_bf / B,   σ_f = √(Σ_b (x_bf − m_f)² / B + ε),   s = Σ_f σ_f / n
//
// over the n = C·P values f of a sample; backward, ∂s/∂x_bf = (x_bf − m_f) /
// (n·B·σ_f), times the sum of the gradient over the appended channel.
type MinibatchStd struct {
	in    Shape
	batch int
	x     []float32 // the input of the latest forward pass
	mean  []float64 // m_f
	std   []float64 // σ_f
	y, dx []float32
}

// mbstdEps keeps σ_f differentiable where every sample agrees.
const mbstdEps = 1e-8

func (l *MinibatchStd) Setup(in Shape) (Shape, int, int, error) {
	l.in = in
	l.mean, l.std = make([]float64, in.Size()), make([]float64, in.Size())
	return Shape{C: in.C + 1, Spatial: in.Spatial}, 0, 0, nil
}

func (l *MinibatchStd) Bind(_, _, _ []float32) {}
func (l *MinibatchStd) Init(*rand.Rand)        {}
func (l *MinibatchStd) FLOPs() int             { return 0 }

func (l *MinibatchStd) Forward(ws *Workspace, x []float32, batch int, _ bool) []float32 {
	l.batch, l.x = batch, x
	n, p := l.in.Size(), l.in.Volume()
	clear(l.mean)
	clear(l.std)
	for b := range batch {
		for f, v := range x[b*n : (b+1)*n] {
			l.mean[f] += float64(v)
		}
	}
	for f := range l.mean {
		l.mean[f] /= float64(batch)
	}
	for b := range batch {
		for f, v := range x[b*n : (b+1)*n] {
			d := float64(v) - l.mean[f]
			l.std[f] += d * d
		}
	}
	var s float64
	for f := range l.std {
		l.std[f] = math.Sqrt(l.std[f]/float64(batch) + mbstdEps)
		s += l.std[f]
	}
	s /= float64(n)
	y := kernels.Grow(&l.y, batch*(n+p))
	for b := range batch {
		out := y[b*(n+p) : (b+1)*(n+p)]
		copy(out, x[b*n:(b+1)*n])
		for i := range out[n:] {
			out[n+i] = float32(s)
		}
	}
	return y
}

func (l *MinibatchStd) Backward(ws *Workspace, dy []float32, _, needDx bool) []float32 {
	if !needDx {
		return nil
	}
	n, p := l.in.Size(), l.in.Volume()
	var g float64 // the gradient reaching s: summed over samples and positions
	for b := range l.batch {
		for _, v := range dy[b*(n+p)+n : (b+1)*(n+p)] {
			g += float64(v)
		}
	}
	k := g / float64(n*l.batch)
	dx := kernels.Grow(&l.dx, l.batch*n)
	for b := range l.batch {
		in, d, out := l.x[b*n:(b+1)*n], dy[b*(n+p):b*(n+p)+n], dx[b*n:(b+1)*n]
		for f := range out {
			out[f] = d[f] + float32(k*(float64(in[f])-l.mean[f])/l.std[f])
		}
	}
	return dx
}

// String describes the layer, e.g. "minibatch std of 256×4×4".
func (l *MinibatchStd) String() string {
	return fmt.Sprintf("minibatch std of %d×%d", l.in.C, l.in.Volume())
}

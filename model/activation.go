package model

import (
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// Activation kinds of Tables A.1/A.2.
type ActKind int

const (
	ReLU ActKind = iota
	LeakyReLU
	Tanh
)

// leakySlope is the negative slope of LeakyReLU in the discriminator and
// encoder (DCGAN's 0.2).
const leakySlope = 0.2

// Activation applies an elementwise nonlinearity; its backward pass needs
// only the output it saved.
type Activation struct {
	Kind ActKind

	y, dx []float32
}

func (l *Activation) Setup(in Shape) (Shape, int, int, error) { return in, 0, 0, nil }
func (l *Activation) Bind(_, _, _ []float32)                  {}
func (l *Activation) Init(*rand.Rand)                         {}
func (l *Activation) FLOPs() int                              { return 0 }

func (l *Activation) Forward(ws *Workspace, x []float32, batch int, _ bool) []float32 {
	y := kernels.Grow(&l.y, len(x))
	switch l.Kind {
	case ReLU:
		kernels.ReLU(ws.Team, x, y)
	case LeakyReLU:
		kernels.LeakyReLU(ws.Team, leakySlope, x, y)
	case Tanh:
		kernels.Tanh(ws.Team, x, y)
	}
	return y
}

func (l *Activation) Backward(ws *Workspace, dy []float32, _, needDx bool) []float32 {
	if !needDx {
		return nil
	}
	dx := kernels.Grow(&l.dx, len(l.y))
	switch l.Kind {
	case ReLU:
		kernels.ReLUBackward(ws.Team, l.y, dy, dx)
	case LeakyReLU:
		kernels.LeakyReLUBackward(ws.Team, leakySlope, l.y, dy, dx)
	case Tanh:
		kernels.TanhBackward(ws.Team, l.y, dy, dx)
	}
	return dx
}

// String names the nonlinearity.
func (l *Activation) String() string {
	return [...]string{ReLU: "relu", LeakyReLU: "leaky relu", Tanh: "tanh"}[l.Kind]
}

type deviceActivation struct {
	dev   *cuda.Device
	kind  cuda.Activation
	slope float64
	y, dx cuda.F32
}

func (l *Activation) onGPU(p deviceParams) deviceLayer {
	a := &deviceActivation{dev: p.dev}
	switch l.Kind {
	case ReLU:
		a.kind = cuda.LeakyReLU
	case LeakyReLU:
		a.kind, a.slope = cuda.LeakyReLU, leakySlope
	case Tanh:
		a.kind = cuda.Tanh
	}
	return a
}

func (a *deviceActivation) forward(x cuda.F32, _ int, _ bool) cuda.F32 {
	y := grow(a.dev, &a.y, x.Len)
	a.dev.Activate(a.kind, a.slope, x, y)
	return y
}

func (a *deviceActivation) backward(dy cuda.F32, _, needDx bool) cuda.F32 {
	if !needDx {
		return cuda.F32{}
	}
	dx := grow(a.dev, &a.dx, dy.Len)
	a.dev.ActivateBackward(a.kind, a.slope, a.y.Slice(0, dy.Len), dy, dx)
	return dx
}

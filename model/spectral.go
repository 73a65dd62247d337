package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SpectralNorm divides the weight matrix of the layer it wraps (a Conv or a
// Dense) by its largest singular value σ, estimated by one step of power
// iteration per training forward pass (Miyato et al. 2018, "Spectral
// normalization for generative adversarial networks"). It bounds the
// Lipschitz constant of each layer of D, which keeps D's gradients to G
// informative and is the standard remedy for the mode collapse that DCGANs
// fall into when D becomes too sharp.
//
// The network's parameters are the raw weights W (and the bias); the
// wrapped layer computes with W/σ from private buffers. The singular vector
// estimates u (rows) and v (columns) are state: checkpointed, identical on
// every rank (they follow from the weights), updated only in training mode:
//
//	v ← Wᵀu/‖Wᵀu‖,   u ← Wv/‖Wv‖,   σ = uᵀWv.
//
// As in the reference implementation, u and v count as constants in the
// gradient: with G = ∂L/∂(W/σ),
//
//	∂L/∂W = (G − ⟨G, W/σ⟩ u vᵀ) / σ.
type SpectralNorm struct {
	Layer Layer // a *Conv or a *Dense: weights (rows × cols) first, then the bias

	rows, cols  int
	w, dw       []float32 // the network's views: raw parameters and their gradients
	u, v        []float32 // state
	wsn, dwsn   []float32 // what the wrapped layer computes with and accumulates into
	sigma       float64
	innerStateN int
}

// matrixLayer is a layer whose parameters start with a rows × cols weight
// matrix.
type matrixLayer interface {
	Layer
	weightMatrix() (rows, cols int)
}

func (l *Conv) weightMatrix() (int, int)  { return l.Out, l.s.Rows() }
func (l *Dense) weightMatrix() (int, int) { return l.Out, l.in }

func (l *SpectralNorm) Setup(in Shape) (Shape, int, int, error) {
	m, ok := l.Layer.(matrixLayer)
	if !ok {
		return Shape{}, 0, 0, fmt.Errorf("spectral norm: %T has no weight matrix", l.Layer)
	}
	out, params, state, err := m.Setup(in)
	if err != nil {
		return Shape{}, 0, 0, err
	}
	l.rows, l.cols = m.weightMatrix()
	l.innerStateN = state
	l.wsn, l.dwsn = make([]float32, params), make([]float32, params)
	return out, params, state + l.rows + l.cols, nil
}

func (l *SpectralNorm) Bind(params, grads, state []float32) {
	l.w, l.dw = params, grads
	l.u, l.v = state[l.innerStateN:l.innerStateN+l.rows], state[l.innerStateN+l.rows:]
	l.Layer.Bind(l.wsn, l.dwsn, state[:l.innerStateN])
}

// Init draws the wrapped layer's initialization as its raw weights, and a
// random unit u, from which the first training pass starts iterating.
func (l *SpectralNorm) Init(rng *rand.Rand) {
	l.Layer.Init(rng)
	copy(l.w, l.wsn)
	normalInit(rng, l.u, 0, 1)
	normalize(l.u)
	l.powerStep()
}

// powerStep advances u and v by one power iteration on the raw weights.
func (l *SpectralNorm) powerStep() {
	w := l.w[:l.rows*l.cols]
	clear(l.v)
	for i := range l.rows {
		ui := l.u[i]
		for j, x := range w[i*l.cols : (i+1)*l.cols] {
			l.v[j] += ui * x
		}
	}
	normalize(l.v)
	for i := range l.rows {
		l.u[i] = float32(dot(w[i*l.cols:(i+1)*l.cols], l.v))
	}
	normalize(l.u)
}

// normalize scales x to unit length (a zero vector stays zero).
func normalize(x []float32) {
	n := math.Sqrt(dot(x, x))
	if n == 0 {
		return
	}
	for i := range x {
		x[i] = float32(float64(x[i]) / n)
	}
}

// dot is Σ a_i b_i accumulated in float64.
func dot(a, b []float32) float64 {
	var s float64
	for i, x := range a {
		s += float64(x) * float64(b[i])
	}
	return s
}

// Sigma is the estimate of the largest singular value used by the latest
// forward pass.
func (l *SpectralNorm) Sigma() float64 { return l.sigma }

func (l *SpectralNorm) Forward(ws *Workspace, x []float32, batch int, train bool) []float32 {
	if train {
		l.powerStep()
	}
	nw := l.rows * l.cols
	w := l.w[:nw]
	var s float64
	for i := range l.rows {
		s += float64(l.u[i]) * dot(w[i*l.cols:(i+1)*l.cols], l.v)
	}
	if s == 0 || math.IsNaN(s) {
		s = 1 // an all-zero matrix: nothing to normalize
	}
	l.sigma = s
	inv := 1 / s
	for i, x := range w {
		l.wsn[i] = float32(float64(x) * inv)
	}
	copy(l.wsn[nw:], l.w[nw:])
	return l.Layer.Forward(ws, x, batch, train)
}

func (l *SpectralNorm) Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32 {
	if !paramGrads {
		return l.Layer.Backward(ws, dy, false, needDx)
	}
	clear(l.dwsn)
	dx := l.Layer.Backward(ws, dy, true, needDx)
	nw := l.rows * l.cols
	g := l.dwsn[:nw]
	c := dot(g, l.wsn[:nw])
	inv := 1 / l.sigma
	for i := range l.rows {
		cu := c * float64(l.u[i])
		row := g[i*l.cols : (i+1)*l.cols]
		dw := l.dw[i*l.cols : (i+1)*l.cols]
		for j, gj := range row {
			dw[j] += float32((float64(gj) - cu*float64(l.v[j])) * inv)
		}
	}
	for i, gb := range l.dwsn[nw:] {
		l.dw[nw+i] += gb
	}
	return dx
}

// FLOPs counts the wrapped layer; the power iteration is 4·rows·cols per
// step, once per batch rather than per sample.
func (l *SpectralNorm) FLOPs() int { return l.Layer.FLOPs() }

func (l *SpectralNorm) String() string { return fmt.Sprintf("SpectralNorm(%v)", l.Layer) }

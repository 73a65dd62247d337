package model

import (
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
)

// Shape is the per-sample shape of an activation: channels × spatial extent
// (depth, height, width). 2D activations have depth 1; dense activations have
// spatial extent 1×1×1.
type Shape struct {
	C       int
	Spatial [3]int
}

// Volume is the number of spatial positions.
func (s Shape) Volume() int { return s.Spatial[0] * s.Spatial[1] * s.Spatial[2] }

// Size is the number of values per sample.
func (s Shape) Size() int { return s.C * s.Volume() }

// Workspace carries what every layer of a step shares: the worker team and
// one set of scratch buffers (column matrices), reused layer after layer since
// layers run one at a time. It is not a context.Context: the layers' methods
// take it as ws.
type Workspace struct {
	Team *kernels.Team
	cols []float32
	cm   []float32
}

// NewWorkspace returns a workspace running kernels on team.
func NewWorkspace(team *kernels.Team) *Workspace { return &Workspace{Team: team} }

// maxColumnFloats bounds the column matrix of one convolution call; larger
// batches are processed in chunks of samples so that memory stays bounded.
const maxColumnFloats = 1 << 25

// A Layer is one stage of a network. The network calls Setup once with the
// layer's input shape, binds views into its flat buffers, then calls Forward
// and Backward. Backward uses what the latest Forward saved, so each Forward is
// followed by at most one Backward before the next Forward.
type Layer interface {
	// Setup checks the input shape and returns the output shape and how many
	// trainable parameters and non-trained state values the layer needs.
	Setup(in Shape) (out Shape, params, state int, err error)
	// Bind gives the layer its views of the network's buffers.
	Bind(params, grads, state []float32)
	// Init draws the initial parameters and resets the state.
	Init(rng *rand.Rand)
	// Forward computes the output for a batch; the returned slice is owned by
	// the layer and valid until its next Forward.
	Forward(ws *Workspace, x []float32, batch int, train bool) []float32
	// Backward takes the gradient of the loss with respect to the output and
	// returns the gradient with respect to the input (nil when !needDx). With
	// paramGrads it adds the parameter gradients to the bound gradient views.
	Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32
	// FLOPs is the forward cost per sample in floating-point operations,
	// counted as 2 per multiply-add of the layer's GEMM-shaped work.
	FLOPs() int
}

// normalInit fills w with N(0, std²) draws, the DCGAN initialization.
func normalInit(rng *rand.Rand, w []float32, mean, std float64) {
	for i := range w {
		w[i] = float32(mean + std*rng.NormFloat64())
	}
}

// weights is the parameter block of a dense or convolution layer: n weights,
// then, with bias, one bias per output channel; with views of their gradients.
type weights struct {
	w, b   []float32
	dw, db []float32
}

// size is the number of parameters of a block of n weights and out biases.
func (p *weights) size(n, out int, bias bool) int {
	if bias {
		return n + out
	}
	return n
}

func (p *weights) bind(params, grads []float32, n int) {
	p.w, p.dw = params[:n], grads[:n]
	p.b, p.db = nil, nil
	if len(params) > n {
		p.b, p.db = params[n:], grads[n:]
	}
}

// init draws the weights from N(0, 0.02²), as DCGAN does, and zeroes the bias.
func (p *weights) init(rng *rand.Rand) {
	normalInit(rng, p.w, 0, 0.02)
	clear(p.b)
}

package model

import (
	"fmt"
	"math/rand/v2"
)

// Net is a sequence of layers with one flat buffer each for its parameters,
// their gradients and its non-trained state.
type Net struct {
	Name   string
	Layers []Layer
	In     Shape
	Out    Shape

	Params []float32 // all trainable parameters, layer after layer
	Grads  []float32 // their gradients, same layout
	State  []float32 // non-trained state (batch norm running statistics)

	outs []Shape // output shape of every layer
	// offsets of every layer's parameters in Params and state in State
	paramAt, stateAt []int
}

// NewNet sets up the layers for inputs of shape in and allocates the buffers.
func NewNet(name string, in Shape, layers ...Layer) (*Net, error) {
	n := &Net{Name: name, Layers: layers, In: in}
	type span struct{ p, s int }
	spans := make([]span, len(layers))
	shape := in
	var np, ns int
	for i, l := range layers {
		out, p, s, err := l.Setup(shape)
		if err != nil {
			return nil, fmt.Errorf("%s layer %d: %w", name, i, err)
		}
		spans[i] = span{p, s}
		np, ns = np+p, ns+s
		shape = out
		n.outs = append(n.outs, out)
	}
	n.Out = shape
	n.Params, n.Grads, n.State = make([]float32, np), make([]float32, np), make([]float32, ns)
	var po, so int
	for i, l := range layers {
		sp := spans[i]
		l.Bind(n.Params[po:po+sp.p], n.Grads[po:po+sp.p], n.State[so:so+sp.s])
		n.paramAt, n.stateAt = append(n.paramAt, po), append(n.stateAt, so)
		po, so = po+sp.p, so+sp.s
	}
	return n, nil
}

// Init draws all parameters from rng and resets the state.
func (n *Net) Init(rng *rand.Rand) {
	for _, l := range n.Layers {
		l.Init(rng)
	}
}

// Forward runs a batch (batch × In.Size() values) through every layer and
// returns the output (batch × Out.Size()), owned by the last layer.
func (n *Net) Forward(ws *Workspace, x []float32, batch int, train bool) []float32 {
	x = x[:batch*n.In.Size()]
	for _, l := range n.Layers {
		x = l.Forward(ws, x, batch, train)
	}
	return x
}

// InferChunk is how many samples Infer passes through a network at once:
// enough for the GEMMs of every layer to keep all cores busy, few enough that
// the activations of a chunk stay small whatever the number of samples.
const InferChunk = 32

// Infer runs the network in inference mode over batch samples, InferChunk
// at a time. In inference mode batch norm uses its running statistics, so a
// sample's output does not depend on the others in its chunk. in returns the
// inputs of samples [lo, hi); out receives their outputs, which the network
// owns and overwrites with the next chunk. Callers gather inputs and scatter
// outputs through in and out, so that no copy of the whole batch is needed.
func (n *Net) Infer(ws *Workspace, batch int, in func(lo, hi int) []float32, out func(lo, hi int, y []float32)) {
	for lo := 0; lo < batch; lo += InferChunk {
		hi := min(lo+InferChunk, batch)
		out(lo, hi, n.Forward(ws, in(lo, hi), hi-lo, false))
	}
}

// Backward propagates dy (the gradient with respect to the latest Forward's
// output) back through every layer. With paramGrads it adds the parameter
// gradients to Grads; with needDx it returns the gradient with respect to the
// input, else nil.
func (n *Net) Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32 {
	for i := len(n.Layers) - 1; i >= 0; i-- {
		dy = n.Layers[i].Backward(ws, dy, paramGrads, needDx || i > 0)
	}
	return dy
}

// ZeroGrads clears the gradient buffer.
func (n *Net) ZeroGrads() { clear(n.Grads) }

// Truncated returns the network made of the first k layers, sharing their
// parameters, state and buffers with n. It is how the truncated discriminator
// TD is D without its last layer.
func (n *Net) Truncated(k int) *Net {
	return &Net{Name: n.Name + "-truncated", Layers: n.Layers[:k], In: n.In, Out: n.outs[k-1],
		Params: n.Params, Grads: n.Grads, State: n.State, outs: n.outs[:k],
		paramAt: n.paramAt[:k], stateAt: n.stateAt[:k]}
}

// FLOPs is the forward cost per sample of the network's GEMM-shaped layers.
func (n *Net) FLOPs() int {
	var f int
	for _, l := range n.Layers {
		f += l.FLOPs()
	}
	return f
}

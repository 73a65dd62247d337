package model

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

type gpuBackend struct{ dev *cuda.Device }

func (b gpuBackend) ganTrainer(m *GAN) (GANTrainer, error) {
	return newGANSteps[cuda.F32](m, newGPUOps(b.dev))
}

func (b gpuBackend) aeTrainer(a *AE) (AETrainer, error) {
	return newAESteps[cuda.F32](a, newGPUOps(b.dev))
}

// gpuOps are a GPU's operations, launching the kernels of package
// kernels/cuda. Per step the host uploads the batch and downloads the loss
// values; each trained network's gradients make one round trip for the
// all-reduce.
type gpuOps struct {
	dev  *cuda.Device
	mark int // what close releases back to
	// out holds the result slots; res is its host copy (a slice of its own:
	// cgo refuses a pointer into a struct that holds Go pointers).
	out cuda.Buffer[float64]
	res []float64
}

func newGPUOps(dev *cuda.Device) *gpuOps {
	mark := dev.Mark()
	return &gpuOps{dev: dev, mark: mark, out: cuda.Alloc[float64](dev, resultSlots), res: make([]float64, resultSlots)}
}

func (o *gpuOps) net(n *Net, opt *Adam) (netOps[cuda.F32], error) {
	g, err := newGPUNet(o.dev, n, opt)
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (o *gpuOps) load(slot *cuda.F32, host []float32) cuda.F32 {
	b := grow(o.dev, slot, len(host))
	cuda.Upload(o.dev, b, host)
	return b
}

// fill uploads the values only when the slot grows: the callers keep v fixed.
func (o *gpuOps) fill(slot *cuda.F32, n int, v float32) cuda.F32 {
	if slot.Len < n {
		host := make([]float32, n)
		for i := range host {
			host[i] = v
		}
		cuda.Upload(o.dev, grow(o.dev, slot, n), host)
	}
	return slot.Slice(0, n)
}

func (o *gpuOps) buf(slot *cuda.F32, n int) cuda.F32 { return grow(o.dev, slot, n) }

func (o *gpuOps) copyOf(slot *cuda.F32, src cuda.F32, n int) cuda.F32 {
	b := grow(o.dev, slot, n)
	cuda.Copy(o.dev, b, src.Slice(0, n))
	return b
}

func (o *gpuOps) bce(weight float64, logits, labels, grad cuda.F32, at int) {
	o.dev.BCEWithLogits(weight, logits, labels, grad, o.out.Slice(at, at+2))
}

func (o *gpuOps) featureLoss(f, target, grad cuda.F32, at int) {
	o.dev.FeatureLoss(f, target, grad, o.out.Slice(at, at+1))
}

func (o *gpuOps) host(cuda.F32) ([]float32, bool) { return nil, false }

func (o *gpuOps) results() ([]float64, error) {
	cuda.Download(o.dev, o.res, o.out)
	return o.res, o.dev.Synchronize()
}

func (o *gpuOps) wait() error  { return o.dev.Synchronize() }
func (o *gpuOps) check() error { return o.dev.Err() }
func (o *gpuOps) close()       { o.dev.Release(o.mark) }

// gpuNet is a Net on a GPU: its parameters, gradients, state and optimizer
// moments live in device buffers laid out as the Net's host slices, and
// every layer runs through its device counterpart. The host Net stays the
// reference copy for checkpoints and evaluation.
type gpuNet struct {
	n                    *Net
	dev                  *cuda.Device
	params, grads, state cuda.F32
	opt                  *Adam    // the host optimizer; nil for a frozen network
	m, v                 cuda.F32 // its moments on the device
	layers               []deviceLayer
}

// deviceLayer is a Layer's device counterpart, with the same contract as
// Layer's Forward and Backward.
type deviceLayer interface {
	forward(x cuda.F32, batch int, train bool) cuda.F32
	backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32
}

// gpuLayer is a Layer that has a device counterpart: onGPU returns it, with
// the layer's views p of its network's device buffers. A new layer kind runs
// on a GPU by implementing it beside its CPU code.
type gpuLayer interface {
	onGPU(p deviceParams) deviceLayer
}

// gpuCounterpart returns layer i of network net as a gpuLayer, or an error
// naming it if it has no device counterpart.
func gpuCounterpart(net string, i int, l Layer) (gpuLayer, error) {
	g, ok := l.(gpuLayer)
	if !ok {
		return nil, fmt.Errorf("%s layer %d (%s) has no GPU implementation yet", net, i, strings.TrimPrefix(fmt.Sprintf("%T", l), "*model."))
	}
	return g, nil
}

// CheckGPU reports every network of a with a layer that has no device
// counterpart, which the GPU backend would refuse, without building the
// networks. a must be valid.
func (a Arch) CheckGPU() error {
	var errs []error
	for _, n := range []struct {
		name   string
		layers []Layer
	}{{"G", a.generatorLayers()}, {"D", a.discriminatorLayers()}, {"E", a.encoderLayers()}} {
		for i, l := range n.layers {
			if _, err := gpuCounterpart(n.name, i, l); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// newGPUNet allocates n's buffers (and, with opt, its optimizer moments) on
// dev, uploads them, and sets up the device counterpart of each layer.
func newGPUNet(dev *cuda.Device, n *Net, opt *Adam) (*gpuNet, error) {
	g := &gpuNet{n: n, dev: dev, opt: opt,
		params: cuda.Alloc[float32](dev, len(n.Params)),
		grads:  cuda.Alloc[float32](dev, len(n.Grads)),
		state:  cuda.Alloc[float32](dev, len(n.State))}
	if opt != nil {
		g.m, g.v = cuda.Alloc[float32](dev, len(opt.M)), cuda.Alloc[float32](dev, len(opt.V))
	}
	for i, l := range n.Layers {
		gl, err := gpuCounterpart(n.Name, i, l)
		if err != nil {
			return nil, err
		}
		g.layers = append(g.layers, gl.onGPU(deviceParams{dev: dev, params: g.params, grads: g.grads, state: g.state,
			at: n.paramAt[i], stateAt: n.stateAt[i]}))
	}
	g.push()
	return g, dev.Err()
}

func (g *gpuNet) forward(x cuda.F32, batch int, train bool) cuda.F32 {
	x = x.Slice(0, batch*g.n.In.Size())
	for _, l := range g.layers {
		x = l.forward(x, batch, train)
	}
	return x
}

func (g *gpuNet) backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32 {
	for i := len(g.layers) - 1; i >= 0; i-- {
		dy = g.layers[i].backward(dy, paramGrads, needDx || i > 0)
	}
	return dy
}

func (g *gpuNet) zeroGrads() { cuda.Clear(g.dev, g.grads) }

func (g *gpuNet) hostGrads() ([]float32, error) {
	cuda.Download(g.dev, g.n.Grads, g.grads)
	return g.n.Grads, g.dev.Synchronize()
}

func (g *gpuNet) pushGrads() { cuda.Upload(g.dev, g.grads, g.n.Grads) }

func (g *gpuNet) adam(a *Adam) error {
	g.dev.Adam(g.params, g.grads, g.m, g.v, a.LR, a.Beta1, a.Beta2, a.Eps, a.Step)
	return g.dev.Err()
}

func (g *gpuNet) pullWeights() {
	cuda.Download(g.dev, g.n.Params, g.params)
	g.pullState()
}

func (g *gpuNet) pull() {
	g.pullWeights()
	if g.opt != nil {
		cuda.Download(g.dev, g.opt.M, g.m)
		cuda.Download(g.dev, g.opt.V, g.v)
	}
}

func (g *gpuNet) push() {
	cuda.Upload(g.dev, g.params, g.n.Params)
	g.pushState()
	if g.opt != nil {
		cuda.Upload(g.dev, g.m, g.opt.M)
		cuda.Upload(g.dev, g.v, g.opt.V)
	}
}

func (g *gpuNet) pullState() { cuda.Download(g.dev, g.n.State, g.state) }
func (g *gpuNet) pushState() { cuda.Upload(g.dev, g.state, g.n.State) }

// deviceParams hands out a layer's views of its network's device buffers.
type deviceParams struct {
	dev                  *cuda.Device
	params, grads, state cuda.F32
	at, stateAt          int
}

// deviceWeights are the device views of a weights block.
type deviceWeights struct{ w, b, dw, db cuda.F32 }

// take returns the views of n weights followed, with bias, by out biases.
func (p *deviceParams) take(n int, bias bool, out int) deviceWeights {
	w := deviceWeights{w: p.params.Slice(p.at, p.at+n), dw: p.grads.Slice(p.at, p.at+n)}
	if bias {
		w.b, w.db = p.params.Slice(p.at+n, p.at+n+out), p.grads.Slice(p.at+n, p.at+n+out)
	}
	return w
}

// grow returns a device buffer of n values in *b, reallocating it when it is
// smaller (a larger batch than before).
func grow(dev *cuda.Device, b *cuda.F32, n int) cuda.F32 {
	if b.Len < n {
		cuda.Free(dev, *b)
		*b = cuda.Alloc[float32](dev, n)
	}
	return b.Slice(0, n)
}

// addChannelSums adds to db the per-channel sums of dy (batch, c, p): the
// bias gradient.
func addChannelSums(dev *cuda.Device, sums *cuda.Buffer[float64], batch, c, p int, dy, db cuda.F32) {
	if sums.Len < 2*c {
		*sums = cuda.Alloc[float64](dev, 2*c)
	}
	dev.ChannelMoments(batch, c, p, dy, dy, *sums)
	dev.AddSums(sums.Slice(0, c), db)
}

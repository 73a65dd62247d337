package model

import (
	"fmt"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// DeviceNet runs a Net on a GPU: its parameters, gradients and state live in
// device buffers laid out as the Net's host slices, and every layer has a
// device counterpart that launches the kernels of package kernels/cuda. The
// host Net stays the reference copy for checkpoints and evaluation: Pull and
// Push move the buffers between the two.
type DeviceNet struct {
	Net                  *Net
	dev                  *cuda.Device
	Params, Grads, State cuda.F32
	layers               []deviceLayer
}

// deviceLayer is a Layer's device counterpart, with the same contract as
// Layer's Forward and Backward.
type deviceLayer interface {
	forward(x cuda.F32, batch int, train bool) cuda.F32
	backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32
}

// NewDeviceNet allocates n's buffers on dev, uploads its parameters and
// state, and sets up a device layer for each of its layers.
func NewDeviceNet(dev *cuda.Device, n *Net) (*DeviceNet, error) {
	dn := &DeviceNet{Net: n, dev: dev,
		Params: cuda.Alloc[float32](dev, len(n.Params)),
		Grads:  cuda.Alloc[float32](dev, len(n.Grads)),
		State:  cuda.Alloc[float32](dev, len(n.State))}
	for i, l := range n.Layers {
		p := deviceParams{dev: dev, params: dn.Params, grads: dn.Grads, state: dn.State, at: n.paramAt[i], stateAt: n.stateAt[i]}
		var dl deviceLayer
		switch l := l.(type) {
		case *Dense:
			dl = &deviceDense{l: l, dev: dev, w: p.take(l.Out*l.in, l.Bias, l.Out)}
		case *Conv:
			dl = &deviceConv{dev: dev, conv: dev.NewConv(l.Geometry()), bias: l.Bias, inSize: l.inSize, outSize: l.outSize,
				w: p.take(l.Out*l.s.Rows(), l.Bias, l.Out)}
		case *ConvTranspose:
			dl = &deviceConv{dev: dev, conv: dev.NewConv(l.Geometry()), transposed: true, bias: l.Bias, inSize: l.inSize, outSize: l.outSize,
				w: p.take(l.in*l.s.Rows(), l.Bias, l.Out)}
		case *BatchNorm:
			dl = newDeviceBatchNorm(l, p)
		case *Activation:
			dl = newDeviceActivation(dev, l.Kind)
		case *Reshape:
			dl = deviceReshape{}
		default:
			return nil, fmt.Errorf("%s layer %d: %T has no GPU implementation", n.Name, i, l)
		}
		dn.layers = append(dn.layers, dl)
	}
	dn.Push()
	return dn, dev.Err()
}

// Push uploads the host parameters and state to the device.
func (dn *DeviceNet) Push() {
	cuda.Upload(dn.dev, dn.Params, dn.Net.Params)
	dn.PushState()
}

// PushState uploads the host state (batch-norm running statistics).
func (dn *DeviceNet) PushState() { cuda.Upload(dn.dev, dn.State, dn.Net.State) }

// Pull downloads the device parameters and state into the host Net.
func (dn *DeviceNet) Pull() {
	cuda.Download(dn.dev, dn.Net.Params, dn.Params)
	dn.PullState()
}

// PullState downloads the device state into the host Net.
func (dn *DeviceNet) PullState() { cuda.Download(dn.dev, dn.Net.State, dn.State) }

// Forward runs a batch through every layer; see Net.Forward.
func (dn *DeviceNet) Forward(x cuda.F32, batch int, train bool) cuda.F32 {
	x = x.Slice(0, batch*dn.Net.In.Size())
	for _, l := range dn.layers {
		x = l.forward(x, batch, train)
	}
	return x
}

// Backward propagates dy back through every layer; see Net.Backward.
func (dn *DeviceNet) Backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32 {
	for i := len(dn.layers) - 1; i >= 0; i-- {
		dy = dn.layers[i].backward(dy, paramGrads, needDx || i > 0)
	}
	return dy
}

// ZeroGrads clears the device gradients.
func (dn *DeviceNet) ZeroGrads() { cuda.Clear(dn.dev, dn.Grads) }

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

type deviceDense struct {
	l     *Dense
	dev   *cuda.Device
	w     deviceWeights
	x     cuda.F32
	batch int
	y, dx cuda.F32
	sums  cuda.Buffer[float64]
}

func (d *deviceDense) forward(x cuda.F32, batch int, _ bool) cuda.F32 {
	d.x, d.batch = x, batch
	y := grow(d.dev, &d.y, batch*d.l.Out)
	d.dev.Gemm(false, true, batch, d.l.Out, d.l.in, x, d.w.w, false, d.w.b, y)
	return y
}

func (d *deviceDense) backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32 {
	if paramGrads {
		d.dev.Gemm(true, false, d.l.Out, d.l.in, d.batch, dy, d.x, true, cuda.F32{}, d.w.dw)
		if d.l.Bias {
			addChannelSums(d.dev, &d.sums, d.batch, d.l.Out, 1, dy, d.w.db)
		}
	}
	if !needDx {
		return cuda.F32{}
	}
	dx := grow(d.dev, &d.dx, d.batch*d.l.in)
	d.dev.Gemm(false, false, d.batch, d.l.in, d.l.Out, dy, d.w.w, false, cuda.F32{}, dx)
	return dx
}

// deviceConv is Conv, or with transposed ConvTranspose, on the device. Both
// hold a convolution from an image side to a column side (Geometry); a
// transposed convolution runs it backwards: its forward pass is the data
// gradient, its data gradient the forward pass, and its weight gradient the
// filter gradient with the roles of input and output exchanged.
type deviceConv struct {
	dev             *cuda.Device
	conv            *cuda.Conv
	transposed      bool
	bias            bool
	inSize, outSize int
	w               deviceWeights
	x               cuda.F32
	batch           int
	y, dx           cuda.F32
	sums            cuda.Buffer[float64]
}

func (d *deviceConv) forward(x cuda.F32, batch int, _ bool) cuda.F32 {
	d.x, d.batch = x, batch
	y := grow(d.dev, &d.y, batch*d.outSize)
	if d.transposed {
		d.dev.ConvBackwardData(d.conv, batch, d.w.w, x, d.w.b, y)
	} else {
		d.dev.ConvForward(d.conv, batch, d.w.w, x, d.w.b, y)
	}
	return y
}

func (d *deviceConv) backward(dy cuda.F32, paramGrads, needDx bool) cuda.F32 {
	if paramGrads {
		s := &d.conv.Shape
		if d.transposed {
			d.dev.ConvBackwardFilter(d.conv, d.batch, d.x, dy, d.w.dw)
		} else {
			d.dev.ConvBackwardFilter(d.conv, d.batch, dy, d.x, d.w.dw)
		}
		if d.bias && d.transposed {
			addChannelSums(d.dev, &d.sums, d.batch, s.C, s.ImageVolume(), dy, d.w.db)
		} else if d.bias {
			addChannelSums(d.dev, &d.sums, d.batch, d.conv.Out, s.ColVolume(), dy, d.w.db)
		}
	}
	if !needDx {
		return cuda.F32{}
	}
	dx := grow(d.dev, &d.dx, d.batch*d.inSize)
	if d.transposed {
		d.dev.ConvForward(d.conv, d.batch, d.w.w, dy, cuda.F32{}, dx)
	} else {
		d.dev.ConvBackwardData(d.conv, d.batch, d.w.w, dy, cuda.F32{}, dx)
	}
	return dx
}

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

func newDeviceBatchNorm(l *BatchNorm, p deviceParams) *deviceBatchNorm {
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

type deviceActivation struct {
	dev   *cuda.Device
	kind  cuda.Activation
	slope float64
	y, dx cuda.F32
}

func newDeviceActivation(dev *cuda.Device, k ActKind) *deviceActivation {
	a := &deviceActivation{dev: dev}
	switch k {
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

type deviceReshape struct{}

func (deviceReshape) forward(x cuda.F32, _ int, _ bool) cuda.F32 { return x }
func (deviceReshape) backward(dy cuda.F32, _, needDx bool) cuda.F32 {
	if !needDx {
		return cuda.F32{}
	}
	return dy
}

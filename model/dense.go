package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// Dense is a fully connected layer y = W·x + b on the flattened input, with W
// stored (out × in) as PyTorch's Linear does. As for Conv, a layer followed
// by batch norm leaves Bias off: the normalization subtracts it again, so its
// true gradient is zero and Adam would only chase rounding noise with it.
type Dense struct {
	Out  int
	Bias bool

	weights
	in    int
	x     []float32
	batch int
	y, dx []float32
}

func (l *Dense) Setup(in Shape) (Shape, int, int, error) {
	if l.Out <= 0 {
		return Shape{}, 0, 0, fmt.Errorf("dense layer: output size %d, want > 0", l.Out)
	}
	l.in = in.Size()
	return Shape{C: l.Out, Spatial: [3]int{1, 1, 1}}, l.size(l.Out*l.in, l.Out, l.Bias), 0, nil
}

func (l *Dense) Bind(params, grads, _ []float32) { l.bind(params, grads, l.Out*l.in) }
func (l *Dense) Init(rng *rand.Rand)             { l.init(rng) }

func (l *Dense) Forward(ws *Workspace, x []float32, batch int, _ bool) []float32 {
	l.x, l.batch = x, batch
	y := kernels.Grow(&l.y, batch*l.Out)
	kernels.Sgemm(ws.Team, false, true, batch, l.Out, l.in, 1, x, l.in, l.w, l.in, 0, y, l.Out)
	for b := 0; b < batch; b++ {
		row := y[b*l.Out : (b+1)*l.Out]
		for i, v := range l.b {
			row[i] += v
		}
	}
	return y
}

func (l *Dense) Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32 {
	if paramGrads {
		kernels.Sgemm(ws.Team, true, false, l.Out, l.in, l.batch, 1, dy, l.Out, l.x, l.in, 1, l.dw, l.in)
		for b := 0; l.Bias && b < l.batch; b++ {
			for i, v := range dy[b*l.Out : (b+1)*l.Out] {
				l.db[i] += v
			}
		}
	}
	if !needDx {
		return nil
	}
	dx := kernels.Grow(&l.dx, l.batch*l.in)
	kernels.Sgemm(ws.Team, false, false, l.batch, l.in, l.Out, 1, dy, l.Out, l.w, l.in, 0, dx, l.in)
	return dx
}

func (l *Dense) FLOPs() int { return 2 * l.Out * l.in }

// Reshape reinterprets a flat per-sample vector as channels × spatial grid, as
// between the generator's dense layer and its first transposed convolution.
type Reshape struct {
	To Shape
}

func (l *Reshape) Setup(in Shape) (Shape, int, int, error) {
	if in.Size() != l.To.Size() {
		return Shape{}, 0, 0, fmt.Errorf("reshape: input has %d values per sample, shape %v needs %d", in.Size(), l.To, l.To.Size())
	}
	return l.To, 0, 0, nil
}
func (l *Reshape) Bind(_, _, _ []float32) {}
func (l *Reshape) Init(*rand.Rand)        {}
func (l *Reshape) Forward(_ *Workspace, x []float32, _ int, _ bool) []float32 {
	return x
}
func (l *Reshape) Backward(_ *Workspace, dy []float32, _, needDx bool) []float32 {
	if !needDx {
		return nil
	}
	return dy
}
func (l *Reshape) FLOPs() int { return 0 }

// String describes the layer, e.g. "dense 16384→1".
func (l *Dense) String() string { return fmt.Sprintf("dense %d→%d", l.in, l.Out) }

// String describes the layer, e.g. "reshape 256×4³".
func (l *Reshape) String() string {
	if s := l.To.Spatial; s[0] == 1 {
		return fmt.Sprintf("reshape %d×%s", l.To.C, grid(2, s[2]))
	}
	return fmt.Sprintf("reshape %d×%s", l.To.C, grid(3, l.To.Spatial[2]))
}

// onGPU: a dense layer is a GEMM with the weights as the second operand.
func (l *Dense) onGPU(p deviceParams) deviceLayer {
	return &deviceDense{l: l, dev: p.dev, w: p.take(l.Out*l.in, l.Bias, l.Out)}
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

func (l *Reshape) onGPU(deviceParams) deviceLayer { return deviceReshape{} }

type deviceReshape struct{}

func (deviceReshape) forward(x cuda.F32, _ int, _ bool) cuda.F32 { return x }
func (deviceReshape) backward(dy cuda.F32, _, needDx bool) cuda.F32 {
	if !needDx {
		return cuda.F32{}
	}
	return dy
}

package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// Conv is a 2D or 3D convolution with a cubic kernel, lowered to GEMM on
// column matrices (see kernels.Im2col). Weights are stored (out, in, taps) as
// PyTorch's Conv2d/Conv3d do. Layers followed by batch norm leave Bias off:
// a bias before normalization is subtracted out again.
type Conv struct {
	Dim, Out, Kernel, Stride, Pad int
	Bias                          bool

	weights
	s       kernels.ConvShape
	inSize  int
	outSize int
	x       []float32
	batch   int
	y, dx   []float32
}

func (l *Conv) Setup(in Shape) (Shape, int, int, error) {
	n := in.Spatial[2]
	if err := checkSpatial(l.Dim, in); err != nil {
		return Shape{}, 0, 0, fmt.Errorf("conv: %w", err)
	}
	l.s = kernels.NewConvShape(l.Dim, in.C, n, l.Kernel, l.Stride, l.Pad)
	if l.s.Cols[2] < 1 {
		return Shape{}, 0, 0, fmt.Errorf("conv: input size %d is smaller than kernel %d", n, l.Kernel)
	}
	out := Shape{C: l.Out, Spatial: l.s.Cols}
	l.inSize, l.outSize = in.Size(), out.Size()
	return out, l.size(l.Out*l.s.Rows(), l.Out, l.Bias), 0, nil
}

// checkSpatial verifies that a shape is a cube (3D) or a square of depth 1 (2D).
func checkSpatial(dim int, in Shape) error {
	s := in.Spatial
	switch {
	case dim == 2 && s[0] == 1 && s[1] == s[2]:
	case dim == 3 && s[0] == s[1] && s[1] == s[2]:
	default:
		return fmt.Errorf("input %v is not a %dD square grid", s, dim)
	}
	return nil
}

func (l *Conv) Bind(params, grads, _ []float32) { l.bind(params, grads, l.Out*l.s.Rows()) }
func (l *Conv) Init(rng *rand.Rand)             { l.init(rng) }

// chunk is how many samples fit one column matrix of rows × cols per sample.
func chunk(rows, cols, batch int) int {
	return max(1, min(batch, maxColumnFloats/max(rows*cols, 1)))
}

func (l *Conv) Forward(ws *Workspace, x []float32, batch int, _ bool) []float32 {
	l.x, l.batch = x, batch
	y := kernels.Grow(&l.y, batch*l.outSize)
	rows, p := l.s.Rows(), l.s.ColVolume()
	if kernels.ConvImplicitPays(&l.s, l.Out) {
		// No column matrix: gathered straight into the GEMM's packed panels.
		// Every output gets the very operations of the lowered pass below.
		// Chunks bound the channel-major product as they bound the columns.
		step := chunk(l.Out, p, batch)
		for b0 := 0; b0 < batch; b0 += step {
			nb := min(step, batch-b0)
			kernels.Conv(ws.Team, &l.s, nb, l.Out, l.w, x[b0*l.inSize:], l.b, y[b0*l.outSize:], &ws.cm)
		}
		return y
	}
	step := chunk(rows, p, batch)
	for b0 := 0; b0 < batch; b0 += step {
		nb := min(step, batch-b0)
		cols := kernels.Grow(&ws.cols, rows*nb*p)
		kernels.Im2col(ws.Team, &l.s, nb, x[b0*l.inSize:], cols)
		cm := kernels.Grow(&ws.cm, l.Out*nb*p)
		kernels.Sgemm(ws.Team, false, false, l.Out, nb*p, rows, 1, l.w, rows, cols, nb*p, 0, cm, nb*p)
		kernels.FromChannelMajor(ws.Team, nb, l.Out, p, cm, l.b, y[b0*l.outSize:])
	}
	return y
}

func (l *Conv) Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32 {
	var dx []float32
	if needDx {
		dx = kernels.Grow(&l.dx, l.batch*l.inSize)
	}
	rows, p := l.s.Rows(), l.s.ColVolume()
	step := chunk(rows, p, l.batch)
	for b0 := 0; b0 < l.batch; b0 += step {
		nb := min(step, l.batch-b0)
		cm := kernels.Grow(&ws.cm, l.Out*nb*p)
		kernels.ToChannelMajor(ws.Team, nb, l.Out, p, dy[b0*l.outSize:], cm)
		cols := kernels.Grow(&ws.cols, rows*nb*p)
		if paramGrads {
			kernels.Im2col(ws.Team, &l.s, nb, l.x[b0*l.inSize:], cols)
			kernels.Sgemm(ws.Team, false, true, l.Out, rows, nb*p, 1, cm, nb*p, cols, nb*p, 1, l.dw, rows)
			if l.Bias {
				addRowSums(l.db, cm, nb*p)
			}
		}
		if needDx {
			kernels.Sgemm(ws.Team, true, false, rows, nb*p, l.Out, 1, l.w, rows, cm, nb*p, 0, cols, nb*p)
			kernels.Col2im(ws.Team, &l.s, nb, cols, dx[b0*l.inSize:])
		}
	}
	return dx
}

func (l *Conv) FLOPs() int { return 2 * l.Out * l.s.Rows() * l.s.ColVolume() }

// Geometry returns the convolution as kernels see it: the image side (the
// input) and the channels of the column side (the output).
func (l *Conv) Geometry() (kernels.ConvShape, int) { return l.s, l.Out }

// addRowSums adds to sums[r] the sum of row r of the matrix m with the given
// row length.
func addRowSums(sums, m []float32, width int) {
	for r := range sums {
		var s float32
		for _, v := range m[r*width : (r+1)*width] {
			s += v
		}
		sums[r] += s
	}
}

// ConvTranspose is the transposed convolution (the adjoint of Conv) used by
// the generator to double the spatial size. Weights are stored (in, out, taps)
// as PyTorch's ConvTranspose2d/3d do; OutPad adds to one side of the output so
// that kernel 5, stride 2, padding 2 gives exactly twice the input size.
type ConvTranspose struct {
	Dim, Out, Kernel, Stride, Pad, OutPad int
	Bias                                  bool

	weights
	s       kernels.ConvShape // the adjoint convolution: image side = output
	in      int               // input channels
	inSize  int
	outSize int
	x       []float32
	batch   int
	y, dx   []float32
}

func (l *ConvTranspose) Setup(in Shape) (Shape, int, int, error) {
	if err := checkSpatial(l.Dim, in); err != nil {
		return Shape{}, 0, 0, fmt.Errorf("transposed conv: %w", err)
	}
	n := in.Spatial[2]
	nOut := (n-1)*l.Stride - 2*l.Pad + l.Kernel + l.OutPad
	l.s = kernels.NewConvShape(l.Dim, l.Out, nOut, l.Kernel, l.Stride, l.Pad)
	if l.s.Cols[2] != n {
		return Shape{}, 0, 0, fmt.Errorf("transposed conv: kernel %d, stride %d, padding %d, output padding %d do not map size %d to %d and back", l.Kernel, l.Stride, l.Pad, l.OutPad, n, nOut)
	}
	l.in = in.C
	out := Shape{C: l.Out, Spatial: l.s.Image}
	l.inSize, l.outSize = in.Size(), out.Size()
	return out, l.size(l.in*l.s.Rows(), l.Out, l.Bias), 0, nil
}

func (l *ConvTranspose) Bind(params, grads, _ []float32) { l.bind(params, grads, l.in*l.s.Rows()) }
func (l *ConvTranspose) Init(rng *rand.Rand)             { l.init(rng) }

func (l *ConvTranspose) Forward(ws *Workspace, x []float32, batch int, _ bool) []float32 {
	l.x, l.batch = x, batch
	y := kernels.Grow(&l.y, batch*l.outSize)
	rows, p, vol := l.s.Rows(), l.s.ColVolume(), l.s.ImageVolume()
	step := chunk(rows, p, batch)
	for b0 := 0; b0 < batch; b0 += step {
		nb := min(step, batch-b0)
		cm := kernels.Grow(&ws.cm, l.in*nb*p)
		kernels.ToChannelMajor(ws.Team, nb, l.in, p, x[b0*l.inSize:], cm)
		cols := kernels.Grow(&ws.cols, rows*nb*p)
		kernels.Sgemm(ws.Team, true, false, rows, nb*p, l.in, 1, l.w, rows, cm, nb*p, 0, cols, nb*p)
		kernels.Col2im(ws.Team, &l.s, nb, cols, y[b0*l.outSize:])
	}
	if l.Bias {
		for bc := 0; bc < batch*l.Out; bc++ {
			v := l.b[bc%l.Out]
			for i := range y[bc*vol : (bc+1)*vol] {
				y[bc*vol+i] += v
			}
		}
	}
	return y
}

func (l *ConvTranspose) Backward(ws *Workspace, dy []float32, paramGrads, needDx bool) []float32 {
	var dx []float32
	if needDx {
		dx = kernels.Grow(&l.dx, l.batch*l.inSize)
	}
	rows, p, vol := l.s.Rows(), l.s.ColVolume(), l.s.ImageVolume()
	step := chunk(rows, p, l.batch)
	for b0 := 0; b0 < l.batch; b0 += step {
		nb := min(step, l.batch-b0)
		cols := kernels.Grow(&ws.cols, rows*nb*p)
		kernels.Im2col(ws.Team, &l.s, nb, dy[b0*l.outSize:], cols)
		cm := kernels.Grow(&ws.cm, l.in*nb*p)
		if paramGrads {
			kernels.ToChannelMajor(ws.Team, nb, l.in, p, l.x[b0*l.inSize:], cm)
			kernels.Sgemm(ws.Team, false, true, l.in, rows, nb*p, 1, cm, nb*p, cols, nb*p, 1, l.dw, rows)
		}
		if needDx {
			kernels.Sgemm(ws.Team, false, false, l.in, nb*p, rows, 1, l.w, rows, cols, nb*p, 0, cm, nb*p)
			kernels.FromChannelMajor(ws.Team, nb, l.in, p, cm, nil, dx[b0*l.inSize:])
		}
	}
	if paramGrads && l.Bias {
		for bc := 0; bc < l.batch*l.Out; bc++ {
			var s float32
			for _, v := range dy[bc*vol : (bc+1)*vol] {
				s += v
			}
			l.db[bc%l.Out] += s
		}
	}
	return dx
}

func (l *ConvTranspose) FLOPs() int { return 2 * l.in * l.s.Rows() * l.s.ColVolume() }

// Geometry returns the adjoint convolution that the layer runs backwards: its
// image side is the layer's output, its column side (with the returned number
// of channels) the layer's input.
func (l *ConvTranspose) Geometry() (kernels.ConvShape, int) { return l.s, l.in }

// String describes the layer for benchmarks and logs, e.g. "conv3d 32→64 32³→16³".
func (l *Conv) String() string {
	return fmt.Sprintf("conv%dd %d→%d %s→%s", l.Dim, l.s.C, l.Out, grid(l.Dim, l.s.Image[2]), grid(l.Dim, l.s.Cols[2]))
}

// String describes the layer, e.g. "tconv3d 64→32 16³→32³".
func (l *ConvTranspose) String() string {
	return fmt.Sprintf("tconv%dd %d→%d %s→%s", l.Dim, l.in, l.Out, grid(l.Dim, l.s.Cols[2]), grid(l.Dim, l.s.Image[2]))
}

// grid writes a square (2D) or cubic (3D) grid of side n as n² or n³.
func grid(dim, n int) string {
	if dim == 2 {
		return fmt.Sprintf("%d²", n)
	}
	return fmt.Sprintf("%d³", n)
}

func (l *Conv) onGPU(p deviceParams) deviceLayer {
	return &deviceConv{dev: p.dev, conv: p.dev.NewConv(l.Geometry()), bias: l.Bias, inSize: l.inSize, outSize: l.outSize,
		w: p.take(l.Out*l.s.Rows(), l.Bias, l.Out)}
}

func (l *ConvTranspose) onGPU(p deviceParams) deviceLayer {
	return &deviceConv{dev: p.dev, conv: p.dev.NewConv(l.Geometry()), transposed: true, bias: l.Bias, inSize: l.inSize, outSize: l.outSize,
		w: p.take(l.in*l.s.Rows(), l.Bias, l.Out)}
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

package cuda

import (
	"fmt"
	"math"

	"github.com/cosmogan/cosmogan/kernels"
)

// Launch shapes; they must match the constants of kernels.cu.
const (
	tileValues    = 4096 // BM·BN of every GEMM tile
	tileK         = 16   // TILE_K
	tileThreads   = 256  // THREADS
	maxTaps       = 512  // MAX_TAPS
	reduceThreads = 256  // REDUCE_THREADS
	pointThreads  = 256
)

// F32 is a device buffer of float32, the type of activations and parameters.
type F32 = Buffer[float32]

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// tileFor returns the GEMM tile for M rows, BM × BN with BM = 16, 32 or 64,
// and the grid of z slices of such tiles over M × N.
func tileFor(m, n, z int) (bm int, grid [3]int) {
	bm = 64
	if m <= 16 {
		bm = 16
	} else if m <= 32 {
		bm = 32
	}
	return bm, [3]int{max(ceilDiv(n, tileValues/bm), 1), max(ceilDiv(m, bm), 1), z}
}

var tileBlock = [3]int{tileThreads, 1, 1}

// fits fails the device when n values of what would overflow the kernels'
// 32-bit indices.
func (d *Device) fits(what string, n int) bool {
	if n < math.MaxInt32-tileValues { // the last tile's indices run past n
		return true
	}
	d.fail(fmt.Errorf("cuda: %s has %d values, more than 32-bit indices reach; use a smaller batch per rank", what, n))
	return false
}

func pointwise(n int) (grid, block [3]int) {
	return [3]int{max(ceilDiv(n, pointThreads), 1), 1, 1}, [3]int{pointThreads, 1, 1}
}

// Gemm computes c = a·b (+ c with accumulate) (+ bias per column) for
// row-major a (m×k, or k×m with transA), b (k×n, or n×k with transB) and c
// (m×n), as kernels.Sgemm with alpha 1. bias may be empty.
func (d *Device) Gemm(transA, transB bool, m, n, k int, a, b F32, accumulate bool, bias, c F32) {
	sam, sak := k, 1
	if transA {
		sam, sak = 1, m
	}
	sbk, sbn := n, 1
	if transB {
		sbk, sbn = 1, k
	}
	acc := 0
	if accumulate {
		acc = 1
	}
	if !d.fits("a GEMM operand", max(m*k, k*n, m*n)) {
		return
	}
	bm, grid := tileFor(m, n, 1)
	d.launch("gemm", grid, tileBlock, iarg(bm), iarg(m), iarg(n), iarg(k), a.arg(), iarg(sam), iarg(sak), b.arg(), iarg(sbk), iarg(sbn), c.arg(), iarg(n), iarg(acc), bias.arg())
}

// Conv is a convolution's geometry on the device: the image side of
// kernels.ConvShape and Out channels on the column side.
type Conv struct {
	Shape kernels.ConvShape
	Out   int
	geom  Buffer[int32]
}

// NewConv uploads the geometry of a convolution from s to out channels.
func (d *Device) NewConv(s kernels.ConvShape, out int) *Conv {
	if t := s.KernelVolume(); t > maxTaps || s.Kernel[2] > 1023 {
		d.fail(fmt.Errorf("cuda: a kernel of %v has %d taps; the GPU kernels take at most %d", s.Kernel, t, maxTaps))
	}
	g := []int32{int32(s.C), int32(out)}
	for _, v := range [][3]int{s.Image, s.Cols, s.Kernel, s.Stride, s.Pad} {
		g = append(g, int32(v[0]), int32(v[1]), int32(v[2]))
	}
	c := &Conv{Shape: s, Out: out, geom: Alloc[int32](d, len(g))}
	Upload(d, c.geom, g)
	return c
}

// fitsBatch checks that a batch of both sides of c fits 32-bit indices.
func (d *Device) fitsBatch(c *Conv, batch int) bool {
	return d.fits("a convolution's batch", batch*max(c.Shape.C*c.Shape.ImageVolume(), c.Out*c.Shape.ColVolume()))
}

// Forward computes y (batch, Out, cols) from x (batch, C, image) and weights
// w (Out, C, taps), plus bias[o] when bias is not empty: the convolution's
// forward pass, and a transposed convolution's input gradient.
func (d *Device) ConvForward(c *Conv, batch int, w, x, bias, y F32) {
	if !d.fitsBatch(c, batch) {
		return
	}
	bm, grid := tileFor(c.Out, batch*c.Shape.ColVolume(), 1)
	d.launch("conv_fwd", grid, tileBlock, iarg(bm), c.geom.arg(), iarg(batch), w.arg(), x.arg(), bias.arg(), y.arg())
}

// ConvBackwardData computes dx (batch, C, image) from dy (batch, Out, cols),
// plus bias[c] when bias is not empty: the convolution's input gradient, and
// a transposed convolution's forward pass.
// The image positions are done in stride^dim parity classes (see kernels.cu),
// one grid slice each, sized for the largest class.
func (d *Device) ConvBackwardData(c *Conv, batch int, w, dy, bias, dx F32) {
	if !d.fitsBatch(c, batch) {
		return
	}
	classes, largest := 1, 1
	for a := range 3 {
		classes *= c.Shape.Stride[a]
		largest *= ceilDiv(c.Shape.Image[a], c.Shape.Stride[a])
	}
	bm, grid := tileFor(c.Shape.C, batch*largest, classes)
	d.launch("conv_bwd_data", grid, tileBlock, iarg(bm), c.geom.arg(), iarg(batch), w.arg(), dy.arg(), bias.arg(), dx.arg())
}

// ConvBackwardFilter adds to dw (Out, C, taps) the weight gradient of dy
// (batch, Out, cols) against x (batch, C, image).
func (d *Device) ConvBackwardFilter(c *Conv, batch int, dy, x, dw F32) {
	if !d.fitsBatch(c, batch) {
		return
	}
	m, n, k := c.Out, c.Shape.Rows(), batch*c.Shape.ColVolume()
	// Few output tiles and a long K: split K so that about 1024 blocks run.
	_, grid := tileFor(m, n, 1)
	split := max(1, min(ceilDiv(1024, grid[0]*grid[1]), ceilDiv(k, 8*tileK)))
	chunk := ceilDiv(ceilDiv(k, split), tileK) * tileK
	bm, grid := tileFor(m, n, ceilDiv(k, chunk))
	d.launch("conv_bwd_filter", grid, tileBlock, iarg(bm), c.geom.arg(), iarg(batch), dy.arg(), x.arg(), dw.arg(), iarg(chunk))
}

// ChannelMoments writes sums[ch] = Σa and sums[c+ch] = Σa·b over the batch
// and positions of each channel of (batch, c, p) activations.
func (d *Device) ChannelMoments(batch, c, p int, a, b F32, sums Buffer[float64]) {
	if !d.fits("a batch-norm input", batch*c*p) {
		return
	}
	Clear(d, sums.Slice(0, 2*c))
	d.launch("channel_moments", [3]int{c, reduceSlices(c, batch*p), 1}, [3]int{reduceThreads, 1, 1}, iarg(batch), iarg(c), iarg(p), a.arg(), b.arg(), sums.arg())
}

// reduceSlices is how many blocks share out each of rows sums of n values:
// about 1024 blocks in all, each with at least 8 values per thread.
func reduceSlices(rows, n int) int {
	return max(1, min(ceilDiv(1024, rows), n/(8*reduceThreads)))
}

// AddSums adds float32(sums[i]) to dst[i].
func (d *Device) AddSums(sums Buffer[float64], dst F32) {
	grid, block := pointwise(dst.Len)
	d.launch("add_sums", grid, block, iarg(dst.Len), sums.arg(), dst.arg())
}

// BatchNormStats turns the channel sums over n values into each channel's
// mean and 1/σ and updates the running statistics (train), or copies them from
// the running statistics (!train). momentum and eps as in PyTorch.
func (d *Device) BatchNormStats(c int, n float64, train bool, momentum, eps float64, sums Buffer[float64], mean, invStd, runMean, runVar F32) {
	grid, block := pointwise(c)
	d.launch("bn_stats", grid, block, iarg(c), farg(n), flag(train), farg(momentum), farg(eps), sums.arg(), mean.arg(), invStd.arg(), runMean.arg(), runVar.arg())
}

// BatchNormApply is kernels.BatchNormApply on the device.
func (d *Device) BatchNormApply(batch, c, p int, x, mean, invStd, gamma, beta, xhat, y F32) {
	if !d.fits("a batch-norm input", batch*c*p) {
		return
	}
	grid, block := pointwise(batch * c * p)
	d.launch("bn_apply", grid, block, iarg(batch), iarg(c), iarg(p), x.arg(), mean.arg(), invStd.arg(), gamma.arg(), beta.arg(), xhat.arg(), y.arg())
}

// BatchNormCoeffs writes the 3c coefficients (k0, k1, k2) of
// BatchNormBackwardData from the gradient sums over n values.
func (d *Device) BatchNormCoeffs(c int, n float64, train bool, sums Buffer[float64], gamma, invStd, k F32) {
	grid, block := pointwise(c)
	d.launch("bn_coeffs", grid, block, iarg(c), farg(n), flag(train), sums.arg(), gamma.arg(), invStd.arg(), k.arg())
}

// BatchNormBackwardData is kernels.BatchNormBackwardData on the device, with
// k holding k0, k1 and k2 one after the other.
func (d *Device) BatchNormBackwardData(batch, c, p int, dy, xhat, k, dx F32) {
	if !d.fits("a batch-norm input", batch*c*p) {
		return
	}
	grid, block := pointwise(batch * c * p)
	d.launch("bn_backward_data", grid, block, iarg(batch), iarg(c), iarg(p), dy.arg(), xhat.arg(), k.arg(), dx.arg())
}

// Activation kinds of the act kernels.
type Activation int

const (
	LeakyReLU Activation = iota // ReLU with slope 0
	Tanh
)

// Activate computes y = f(x); slope is LeakyReLU's negative slope.
func (d *Device) Activate(kind Activation, slope float64, x, y F32) {
	grid, block := pointwise(x.Len)
	d.launch("act_fwd", grid, block, iarg(x.Len), iarg(int(kind)), farg(slope), x.arg(), y.arg())
}

// ActivateBackward computes dx from dy and the saved output y.
func (d *Device) ActivateBackward(kind Activation, slope float64, y, dy, dx F32) {
	grid, block := pointwise(y.Len)
	d.launch("act_bwd", grid, block, iarg(y.Len), iarg(int(kind)), farg(slope), y.arg(), dy.arg(), dx.arg())
}

// BCEWithLogits is model.BCEWithLogits on the device: it writes the gradient
// into grad, and the loss and the mean sigmoid into out[0] and out[1].
func (d *Device) BCEWithLogits(weight float64, logits, labels, grad F32, out Buffer[float64]) {
	d.launch("bce_logits", [3]int{1, 1, 1}, [3]int{reduceThreads, 1, 1}, iarg(logits.Len), farg(weight), logits.arg(), labels.arg(), grad.arg(), out.arg())
}

// FeatureLoss is model.FeatureLoss on the device: the loss goes to out[0].
func (d *Device) FeatureLoss(f, target, grad F32, out Buffer[float64]) {
	Clear(d, out.Slice(0, 1))
	d.launch("feature_loss", [3]int{reduceSlices(1, f.Len), 1, 1}, [3]int{reduceThreads, 1, 1}, iarg(f.Len), f.arg(), target.arg(), grad.arg(), out.arg())
}

// Adam is kernels.Adam on the device.
func (d *Device) Adam(params, grads, m, v F32, lr, beta1, beta2, eps float32, step int) {
	c1 := float32(1 - math.Pow(float64(beta1), float64(step)))
	c2 := float32(1 - math.Pow(float64(beta2), float64(step)))
	grid, block := pointwise(params.Len)
	d.launch("adam", grid, block, iarg(params.Len), params.arg(), grads.arg(), m.arg(), v.arg(),
		farg(float64(lr)), farg(float64(beta1)), farg(float64(beta2)), farg(float64(eps)), farg(float64(c1)), farg(float64(c2)))
}

// Kernel arguments are 8-byte words (see Driver): buffers give theirs with
// arg, numbers go through iarg and farg, booleans through flag.
func iarg(n int) uint64     { return uint64(int64(n)) }
func farg(x float64) uint64 { return math.Float64bits(x) }
func flag(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

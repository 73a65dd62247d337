package kernels

// Convolutions are lowered to GEMM. A convolution relates an "image" side
// (channels × spatial grid) to a "column" side (one column per output position
// of the convolution): Im2col gathers, for every column position, the
// C·kernel-volume image values under the kernel; Col2im scatters such columns
// back onto the image, summing overlaps. With them:
//
//	conv forward          y = W · im2col(x)              (image side = x)
//	conv backward data    dx = col2im(Wᵀ · dy)
//	conv backward weight  dW += dy · im2col(x)ᵀ
//	tconv forward         y = col2im(Wᵀ · x)             (image side = y)
//	tconv backward data   dx = W · im2col(dy)
//	tconv backward weight dW += x · im2col(dy)ᵀ
//
// 2D convolutions are 3D ones with depth 1, kernel depth 1 and no depth
// padding, so one code path serves both.

// ConvShape describes the geometry of a convolution from the image side to the
// column side. Spatial extents are (depth, height, width); 2D uses depth 1.
type ConvShape struct {
	C      int    // channels of the image side
	Image  [3]int // spatial extent of the image side
	Cols   [3]int // spatial extent of the column side (the convolution's output)
	Kernel [3]int
	Stride [3]int
	Pad    [3]int
}

// NewConvShape returns the shape of a dim-dimensional (2 or 3) convolution
// with a cubic kernel k, stride s and padding p over an image of c channels and
// spatial size n in every axis. The column side has size (n + 2p − k)/s + 1.
func NewConvShape(dim, c, n, k, s, p int) ConvShape {
	out := (n+2*p-k)/s + 1
	sh := ConvShape{C: c, Image: [3]int{n, n, n}, Cols: [3]int{out, out, out},
		Kernel: [3]int{k, k, k}, Stride: [3]int{s, s, s}, Pad: [3]int{p, p, p}}
	if dim == 2 {
		sh.Image[0], sh.Cols[0], sh.Kernel[0], sh.Stride[0], sh.Pad[0] = 1, 1, 1, 1, 0
	}
	return sh
}

// ImageVolume is the number of spatial positions of the image side.
func (s *ConvShape) ImageVolume() int { return s.Image[0] * s.Image[1] * s.Image[2] }

// ColVolume is the number of column positions per sample.
func (s *ConvShape) ColVolume() int { return s.Cols[0] * s.Cols[1] * s.Cols[2] }

// KernelVolume is the number of taps of the kernel.
func (s *ConvShape) KernelVolume() int { return s.Kernel[0] * s.Kernel[1] * s.Kernel[2] }

// Rows is the number of rows of the column matrix, C · KernelVolume.
func (s *ConvShape) Rows() int { return s.C * s.KernelVolume() }

// validRange returns the column indices o in [0, n) for which o·stride − pad +
// k falls inside [0, size): o in [lo, hi).
func validRange(n, size, stride, pad, k int) (lo, hi int) {
	// o·stride ≥ pad − k  and  o·stride ≤ size − 1 + pad − k
	a := pad - k
	if a > 0 {
		lo = (a + stride - 1) / stride
	}
	b := size - 1 + pad - k
	if b < 0 {
		return 0, 0
	}
	hi = min(b/stride+1, n)
	return min(lo, hi), hi
}

type im2colJob struct {
	s       *ConvShape
	batch   int
	x, cols []float32
}

// Im2col writes the column matrix of a batch of images x (batch, C, image
// volume) into cols, a (Rows) × (batch · ColVolume) row-major matrix. Row
// ((c·Kd + kd)·Kh + kh)·Kw + kw holds, for every sample and column position,
// the image value under that kernel tap, or 0 in the padding.
func Im2col(t *Team, s *ConvShape, batch int, x, cols []float32) {
	j := &t.jobs.im2col
	*j = im2colJob{s: s, batch: batch, x: x, cols: cols}
	t.For(s.Rows(), j)
}

func (j *im2colJob) Run(_, lo, hi int) {
	s := j.s
	kvol, ivol, cvol := s.KernelVolume(), s.ImageVolume(), s.ColVolume()
	width := j.batch * cvol
	for r := lo; r < hi; r++ {
		c, w := r/kvol, s.window(r%kvol)
		row := j.cols[r*width : (r+1)*width]
		for b := 0; b < j.batch; b++ {
			s.walk(&w, j.x[(b*s.C+c)*ivol:(b*s.C+c+1)*ivol], row[b*cvol:(b+1)*cvol], false)
		}
	}
}

type col2imJob struct {
	s       *ConvShape
	batch   int
	cols, x []float32
}

// Col2im is the adjoint of Im2col: it overwrites the images x (batch, C, image
// volume) with the sum, over every kernel tap and column position, of the
// column values that Im2col would have read from each pixel.
func Col2im(t *Team, s *ConvShape, batch int, cols, x []float32) {
	j := &t.jobs.col2im
	*j = col2imJob{s: s, batch: batch, cols: cols, x: x}
	t.For(batch*s.C, j)
}

func (j *col2imJob) Run(_, lo, hi int) {
	s := j.s
	kvol, ivol, cvol := s.KernelVolume(), s.ImageVolume(), s.ColVolume()
	width := j.batch * cvol
	for bc := lo; bc < hi; bc++ {
		b, c := bc/s.C, bc%s.C
		img := j.x[bc*ivol : (bc+1)*ivol]
		clear(img)
		for tap := 0; tap < kvol; tap++ {
			w, r := s.window(tap), c*kvol+tap
			s.walk(&w, img, j.cols[r*width+b*cvol:r*width+(b+1)*cvol], true)
		}
	}
}

// tapWindow is one kernel tap and, per axis, the column positions [lo, hi) at
// which the tap falls inside the image rather than in the zero padding.
type tapWindow struct{ k, lo, hi [3]int }

func (s *ConvShape) window(tap int) tapWindow {
	w := tapWindow{k: [3]int{tap / (s.Kernel[1] * s.Kernel[2]), tap / s.Kernel[2] % s.Kernel[1], tap % s.Kernel[2]}}
	for a := range 3 {
		w.lo[a], w.hi[a] = validRange(s.Cols[a], s.Image[a], s.Stride[a], s.Pad[a], w.k[a])
	}
	return w
}

// walk visits, for one tap, every column position and the image pixel under
// it: it copies the pixel into the column, or 0 where the tap falls in the
// padding (gather, for Im2col, which so writes every column value once), or
// adds the column value onto the pixel (scatter, for Col2im).
func (s *ConvShape) walk(w *tapWindow, img, col []float32, scatter bool) {
	sw, cw := s.Stride[2], s.Cols[2]
	lo, hi := w.lo[2], w.hi[2]
	for od := 0; od < s.Cols[0]; od++ {
		for oh := 0; oh < s.Cols[1]; oh++ {
			cl := col[(od*s.Cols[1]+oh)*cw : (od*s.Cols[1]+oh+1)*cw]
			if od < w.lo[0] || od >= w.hi[0] || oh < w.lo[1] || oh >= w.hi[1] || lo >= hi {
				if !scatter {
					clear(cl)
				}
				continue
			}
			id := od*s.Stride[0] - s.Pad[0] + w.k[0]
			ih := oh*s.Stride[1] - s.Pad[1] + w.k[1]
			iw := lo*sw - s.Pad[2] + w.k[2]
			seg := cl[lo:hi]
			pix := img[(id*s.Image[1]+ih)*s.Image[2]+iw:][:(len(seg)-1)*sw+1]
			switch {
			case scatter && sw == 1:
				pix = pix[:len(seg)]
				for i, v := range seg {
					pix[i] += v
				}
			case scatter:
				for i, v := range seg {
					pix[i*sw] += v
				}
			case sw == 1:
				clear(cl[:lo])
				copy(seg, pix)
				clear(cl[hi:])
			default:
				clear(cl[:lo])
				for i := range seg {
					seg[i] = pix[i*sw]
				}
				clear(cl[hi:])
			}
		}
	}
}

type transposeJob struct {
	toChannelMajor bool
	batch, c, p    int
	src, dst, bias []float32
}

// ToChannelMajor copies x laid out (batch, c, p) into dst laid out (c, batch·p),
// the layout GEMM produces and consumes on the column side.
func ToChannelMajor(t *Team, batch, c, p int, x, dst []float32) {
	j := &t.jobs.transpose
	*j = transposeJob{toChannelMajor: true, batch: batch, c: c, p: p, src: x, dst: dst}
	t.ForGrain(c, max(1, 4096/max(p*batch, 1)), j)
}

// FromChannelMajor copies src laid out (c, batch·p) into dst laid out
// (batch, c, p), adding bias[c] to every value of channel c when bias is not nil.
func FromChannelMajor(t *Team, batch, c, p int, src, bias, dst []float32) {
	j := &t.jobs.transpose
	*j = transposeJob{batch: batch, c: c, p: p, src: src, dst: dst, bias: bias}
	t.ForGrain(c, max(1, 4096/max(p*batch, 1)), j)
}

func (j *transposeJob) Run(_, lo, hi int) {
	p, n := j.p, j.batch
	for c := lo; c < hi; c++ {
		for b := 0; b < n; b++ {
			cm := (c*n + b) * p   // offset of the block in the channel-major layout
			bm := (b*j.c + c) * p // offset of the block in the batch-major layout
			switch {
			case j.toChannelMajor:
				copy(j.dst[cm:cm+p], j.src[bm:bm+p])
			case j.bias == nil:
				copy(j.dst[bm:bm+p], j.src[cm:cm+p])
			default:
				v, dst := j.bias[c], j.dst[bm:bm+p]
				for i, x := range j.src[cm : cm+p] {
					dst[i] = x + v
				}
			}
		}
	}
}

package kernels

// convCols is the column matrix of shape s over nb samples of the image x
// (laid out nb, s.C, image volume), as the B operand of a GEMM: op(B) = cols
// (Rows × nb·ColVolume).
type convCols struct {
	s    *ConvShape
	x    []float32
	nb   int
	rows []convRow // per row of the column matrix, when rows pack as whole panels (see panels)
}

// convRow is one row (c, tap) of a column matrix, precomputed for panels:
// the offset of channel c in a sample, the tap's offset per axis (k − pad)
// and the column positions [lo, hi) per axis where it falls inside the image.
type convRow struct {
	base   int
	k      [3]int
	lo, hi [3]int
}

// setCols points t's column operand at x and fills its row table.
func (t *Team) setCols(s *ConvShape, x []float32, nb int) *convCols {
	v := &t.conv.cols
	*v = convCols{s: s, x: x, nb: nb}
	if s.Cols[2]%gemmNR == 0 {
		rows := t.conv.rows[:0]
		kvol, ivol := s.KernelVolume(), s.ImageVolume()
		for r := range s.Rows() {
			w := s.window(r % kvol)
			row := convRow{base: r / kvol * ivol, lo: w.lo, hi: w.hi}
			for a := range 3 {
				row.k[a] = w.k[a] - s.Pad[a]
			}
			rows = append(rows, row)
		}
		t.conv.rows, v.rows = rows, rows
	}
	return v
}

func (v *convCols) packB(dst []float32, p0, kc, j0, nc int) {
	full := 0
	if v.rows != nil && j0%gemmNR == 0 {
		full = nc / gemmNR * gemmNR
		v.panels(dst, p0, kc, j0, full/gemmNR)
	}
	// Row p0+p of cols, columns j0 … j0+nc: value i goes to panel i/NR,
	// row p, lane i%NR.
	for p := 0; p < kc && full < nc; p++ {
		v.gather(p0+p, j0+full, nc-full, dst[full*kc+p*gemmNR:], gemmNR*kc)
	}
	if rem := nc % gemmNR; rem != 0 {
		q := (nc - rem) * kc
		for p := 0; p < kc; p++ {
			clear(dst[q+p*gemmNR+rem : q+(p+1)*gemmNR])
		}
	}
}

// panels packs whole NR-column panels of the column matrix, rows p0 …
// p0+kc, columns j0 … j0+groups·NR, when the column grid's rows are a
// multiple of NR wide (and j0 a multiple of NR): each panel's NR columns then
// lie on one row of the column grid. It fills one panel after the other, row
// by row, so the writes are sequential; packing row by row across panels
// instead (gather) writes NR floats every NR·kc floats, which costs more than
// the GEMM itself on the 3D layers.
func (v *convCols) panels(dst []float32, p0, kc, j0, groups int) {
	s := v.s
	at := s.colPos(j0)
	H, W, sd, sh, sw := s.Image[1], s.Image[2], s.Stride[0], s.Stride[1], s.Stride[2]
	rows := v.rows[p0 : p0+kc]
	for g := range groups {
		panel := dst[g*gemmNR*kc : (g+1)*gemmNR*kc]
		b, od, oh, ow := at.b, at.od, at.oh, at.ow
		sample := v.x[b*s.C*s.ImageVolume():]
		for p := range rows {
			r := &rows[p]
			d := (*[gemmNR]float32)(panel[p*gemmNR:])
			if od < r.lo[0] || od >= r.hi[0] || oh < r.lo[1] || oh >= r.hi[1] {
				*d = [gemmNR]float32{}
				continue
			}
			src := sample[r.base+((od*sd+r.k[0])*H+oh*sh+r.k[1])*W:]
			switch {
			case ow >= r.lo[2] && ow+gemmNR <= r.hi[2] && sw == 1:
				*d = *(*[gemmNR]float32)(src[ow+r.k[2]:])
			case ow >= r.lo[2] && ow+gemmNR <= r.hi[2] && sw == 2:
				src := (*[2*gemmNR - 1]float32)(src[2*ow+r.k[2]:])
				for t := range gemmNR {
					d[t] = src[2*t]
				}
			default:
				for t := range gemmNR {
					var val float32
					if o := ow + t; o >= r.lo[2] && o < r.hi[2] {
						val = src[o*sw+r.k[2]]
					}
					d[t] = val
				}
			}
		}
		if at.ow += gemmNR; at.ow == s.Cols[2] {
			at.nextRow(s)
		}
	}
}

// gather writes the n values of row r of the column matrix at column
// positions j … j+n−1 to dst: value i at dst[(i/NR)·panel + i%NR]. It is the
// general path, for column grids whose rows do not pack as whole panels and
// for the last, partial panel; panels does the rest.
func (v *convCols) gather(r, j, n int, dst []float32, panel int) {
	s := v.s
	kvol := s.KernelVolume()
	c, w := r/kvol, s.window(r%kvol)
	at := s.colPos(j)
	ivol, iw0, sw := s.ImageVolume(), w.k[2]-s.Pad[2], s.Stride[2]
	for i := 0; i < n; {
		end := min(s.Cols[2], at.ow+n-i) // this image row's columns: [ow, end)
		ow := at.ow
		if at.od >= w.lo[0] && at.od < w.hi[0] && at.oh >= w.lo[1] && at.oh < w.hi[1] {
			id, ih := at.od*s.Stride[0]-s.Pad[0]+w.k[0], at.oh*s.Stride[1]-s.Pad[1]+w.k[1]
			img := v.x[(at.b*s.C+c)*ivol+(id*s.Image[1]+ih)*s.Image[2]:]
			lo, hi := max(ow, w.lo[2]), min(end, w.hi[2])
			i = spread(dst, i, max(lo-ow, 0), nil, 0, panel)
			if hi > lo {
				i = spread(dst, i, hi-lo, img[lo*sw+iw0:], sw, panel)
			}
			ow = max(ow, hi)
		}
		i = spread(dst, i, end-ow, nil, 0, panel)
		at.nextRow(s)
	}
}

// colPos is a position on the column side of a batch: sample b, then
// (od, oh, ow) on the column grid, walked in storage order.
type colPos struct{ b, od, oh, ow int }

// colPos returns the position of column j of the column matrix.
func (s *ConvShape) colPos(j int) colPos {
	cvol, pos := s.ColVolume(), j%s.ColVolume()
	return colPos{b: j / cvol, od: pos / (s.Cols[1] * s.Cols[2]), oh: pos / s.Cols[2] % s.Cols[1], ow: pos % s.Cols[2]}
}

// nextRow moves to the start of the next row of the column grid, into the
// next sample after the last row.
func (c *colPos) nextRow(s *ConvShape) {
	c.ow, c.oh = 0, c.oh+1
	if c.oh == s.Cols[1] {
		c.oh, c.od = 0, c.od+1
		if c.od == s.Cols[0] {
			c.od, c.b = 0, c.b+1
		}
	}
}

// spread writes count values src[0], src[stride], … (zeros when src is nil)
// as values i, i+1, … of gather's layout, and returns i + count.
func spread(dst []float32, i, count int, src []float32, stride, panel int) int {
	for count > 0 {
		lane := i % gemmNR
		blk := min(count, gemmNR-lane)
		d := dst[i/gemmNR*panel+lane:][:blk]
		switch {
		case src == nil:
			clear(d)
		case stride == 1:
			copy(d, src)
		default:
			for t := range d {
				d[t] = src[t*stride]
			}
		}
		if src != nil {
			src = src[min(blk*stride, len(src)):]
		}
		i, count = i+blk, count-blk
	}
	return i
}

// convScratch is the Team's scratch for the convolution kernels.
type convScratch struct {
	cols convCols
	rows []convRow // cols's row table
}

// Grow returns *buf resized to n floats, reallocating only when it is too
// small: the scratch buffers of kernels and layers grow to the largest call
// and are then reused, so warm steps allocate nothing.
func Grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// ConvImplicitPays reports whether Conv (implicit GEMM) is faster than the
// lowered forward pass (Im2col, Sgemm, FromChannelMajor) for shape s with
// cout output channels. It is when panels packs the column matrix (rows of
// the column grid a multiple of NR wide) and each packed value feeds at
// least 32 output rows. Measured on the 3D discriminator (batch 4, 2 threads,
// BenchmarkConvLayers): conv 32→64 at 32³ 52.5 → 41.7 ms, conv 1→32 at 64³
// 9.9 → 7.5 ms; with narrower column rows (conv 64→128 at 16³, 8³ columns)
// the general gather costs ~2 ns per value and the lowered pass wins (10.2
// vs 20.0 ms for conv 128→256). The backward passes stay lowered: their
// implicit-GEMM versions (the weight gradient with a transposed gather, the
// data gradient as one sub-convolution per parity class) lost on every 3D
// layer (56.5 vs 46.7 and 75.8 vs 47.3 ms on conv 32→64).
func ConvImplicitPays(s *ConvShape, cout int) bool {
	return s.Cols[2]%gemmNR == 0 && cout >= 32
}

// Conv computes y = W ∗ x + bias: x is laid out (batch, s.C, image volume),
// W (cout, s.C, kernel volume), y (batch, cout, column volume); bias (cout
// values) may be nil. The channel-major product goes through the caller's
// scratch *cm (the lowered pass's, so that a layer keeps one). Results are
// bitwise identical for any number of workers.
func Conv(t *Team, s *ConvShape, batch, cout int, w, x, bias, y []float32, cm *[]float32) {
	n := batch * s.ColVolume()
	prod := Grow(cm, cout*n)
	sgemmPackedB(t, false, cout, n, s.Rows(), 1, w, s.Rows(), t.setCols(s, x, batch), 0, prod, n)
	t.conv.cols = convCols{}
	FromChannelMajor(t, batch, cout, s.ColVolume(), prod, bias, y)
}

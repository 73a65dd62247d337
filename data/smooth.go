// Strided Gaussian smoothing (§2.2.1): the paper smooths its 768³ histogram
// with a Gaussian of σ = 3 pixels evaluated only at every third pixel, which
// gives the 256³ training cube. Evaluating only the kept pixels makes the
// filter stride^Dim times cheaper than filtering everything and subsampling.

package data

import (
	"fmt"
	"math"
)

// GaussianKernel returns the normalized weights of a Gaussian of standard
// deviation sigma pixels sampled at integer offsets −r..r, r = int(4σ + ½),
// as scipy.ndimage.gaussian_filter does with its default truncate = 4.
// sigma = 0 gives the single weight 1.
func GaussianKernel(sigma float64) []float32 {
	if sigma == 0 {
		return []float32{1}
	}
	r := int(4*sigma + 0.5)
	w := make([]float64, 2*r+1)
	var sum float64
	for i := range w {
		x := float64(i - r)
		w[i] = math.Exp(-0.5 * x * x / (sigma * sigma))
		sum += w[i]
	}
	out := make([]float32, len(w))
	for i := range w {
		out[i] = float32(w[i] / sum)
	}
	return out
}

// SmoothStride returns f convolved periodically with the Gaussian of
// GaussianKernel(sigma) along every axis and sampled at pixels 0, stride,
// 2·stride, … of each axis: out[I] = Σ_x K(stride·I − x) f(x), with x taken
// modulo N. It equals scipy.ndimage.gaussian_filter(f, sigma, mode='wrap')
// [::stride, ::stride(, ::stride)] up to float32 rounding (sums are in
// float32; the kernel is scipy's, not truncated further). N must be
// divisible by stride and sigma must be finite and >= 0: other values are
// errors wrapping ErrBadInput.
//
// The filter is separable, and each output slab along axis 0 (a plane in
// 3D, a row in 2D) depends only on the len(w) input slabs around it. So the
// output is made slab by slab, in parallel over slabs: the axis-0 pass sums
// len(w) input slabs into a scratch slab, and the remaining axes are
// filtered, and subsampled, inside that scratch slab while it is still in
// the core's cache. No full-size intermediate is ever allocated, and only
// every stride-th position of each axis is computed. Each output value is
// computed by one worker in a fixed order, so the result does not depend on
// the thread count.
func SmoothStride(f *Field, sigma float64, stride, threads int) (*Field, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := checkSmoothing(f.N, sigma, stride); err != nil {
		return nil, err
	}
	return smoothStride(f, sigma, stride, threads, nil), nil
}

// checkSmoothing checks a smoothing σ and a stride for a grid of side n.
func checkSmoothing(n int, sigma float64, stride int) error {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		return fmt.Errorf("smoothing sigma %g, want a finite value >= 0: %w", sigma, ErrBadInput)
	}
	if stride < 1 || n%stride != 0 {
		return fmt.Errorf("grid %d is not divisible by stride %d: %w", n, stride, ErrBadInput)
	}
	return nil
}

// smoothStride is SmoothStride of a valid field, valid sigma and stride,
// with prep (unless nil) applied to every axis-0 slab of f once, in place,
// before the slab is first read. prep(lo, hi) prepares slabs lo..hi−1.
// Finish passes the transform: it then runs on slabs about to be filtered,
// which stay in the last-level cache for the filter, rather than in a pass
// of its own that writes the whole grid back to memory.
//
// Output slabs go in bands of 4T (T workers), each split among the workers
// in contiguous runs: the workers share one window of input slabs (384³,
// σ 3, stride 3, 2 workers: 46 planes of 576 KiB), which mostly stays in
// the last-level cache. Before
// a band, prep runs on the slabs it reads for the first time; the slabs
// that the first band reads at the far end of the periodic axis are
// prepared at the start.
func smoothStride(f *Field, sigma float64, stride, threads int, prep func(lo, hi int)) *Field {
	w := GaussianKernel(sigma)
	n, m, r := f.N, f.N/stride, len(w)/2
	slab, outSlab := pow(n, f.Dim-1), pow(m, f.Dim-1)
	out := make([]float32, m*outSlab)
	t := min(Threads(threads), m)
	type scratch struct{ plane, rows, ext []float32 }
	sc := make([]scratch, t)
	for i := range sc {
		sc[i].plane, sc[i].ext = make([]float32, slab), make([]float32, n+len(w))
		if f.Dim == 3 {
			sc[i].rows = make([]float32, m*n) // the plane filtered along axis 1, (m, n)
		}
	}
	prepared := 0 // slabs 0..prepared−1, and tail..n−1, are prepared
	tail := n
	prepare := func(lo, hi int) {
		if prep != nil && lo < hi {
			ParallelFor(t, hi-lo, func(_, a, b int) { prep(lo+a, lo+b) })
		}
	}
	if 2*r+stride >= n {
		prepare(0, n)
		prepared = n
	} else {
		prepare(n-r, n)
		tail = n - r
	}
	band := 4 * t
	for b0 := 0; b0 < m; b0 += band {
		b1 := min(b0+band, m)
		need := min((b1-1)*stride+r+1, tail)
		if b1 == m {
			need = tail // also the slabs between outputs that no output reads
		}
		if need > prepared {
			prepare(prepared, need)
			prepared = need
		}
		ParallelFor(t, b1-b0, func(wk, lo, hi int) {
			s := sc[wk]
			for I := b0 + lo; I < b0+hi; I++ {
				sumSlabs(s.plane, f.Data, n, I*stride, w)
				dst := out[I*outSlab : (I+1)*outSlab]
				if f.Dim == 2 {
					smoothLine(dst, s.plane, s.ext, w, stride)
					continue
				}
				for J := range m {
					sumSlabs(s.rows[J*n:(J+1)*n], s.plane, n, J*stride, w)
				}
				for J := range m {
					smoothLine(dst[J*m:(J+1)*m], s.rows[J*n:(J+1)*n], s.ext, w, stride)
				}
			}
		})
	}
	return &Field{Dim: f.Dim, N: m, Data: out}
}

// sumSlabs sets dst = Σ_t w[t] · slab (centre + t − r) mod n of src, where
// src is n slabs of len(dst) values and r = len(w)/2: the filter along the
// slowest axis, at one output position. The kernel is symmetric, so the
// two slabs at ±t are added before one multiplication by w[r+t]; four such
// pairs go into each pass over dst, which works tile by tile so the tile of
// dst stays in L1 cache while the input tiles stream past it.
func sumSlabs(dst, src []float32, n, centre int, w []float32) {
	size, r := len(dst), len(w)/2
	const tile = 1024
	for t0 := 0; t0 < size; t0 += tile {
		t1 := min(t0+tile, size)
		in := func(t int) []float32 {
			s := ((centre+t)%n + n) % n * size
			return src[s+t0 : s+t1]
		}
		acc := dst[t0:t1]
		wc, c := w[r], in(0)
		c = c[:len(acc)]
		for k := range acc {
			acc[k] = wc * c[k]
		}
		t := 1
		for ; t+4 <= r+1; t += 4 {
			pairs4(acc, in(-t), in(t), in(-t-1), in(t+1), in(-t-2), in(t+2), in(-t-3), in(t+3),
				w[r+t], w[r+t+1], w[r+t+2], w[r+t+3])
		}
		for ; t <= r; t++ {
			a, b, wa := in(-t), in(t), w[r+t]
			a, b = a[:len(acc)], b[:len(acc)]
			for k := range acc {
				acc[k] += wa * (a[k] + b[k])
			}
		}
	}
}

// pairs4 adds wa·(a+a2) + wb·(b+b2) + wc·(c+c2) + wd·(d+d2) to acc. The
// inputs are resliced to len(acc) in a function of their own, not inlined,
// so the compiler drops the bounds checks of the loop (inlined, it keeps
// them).
//
//go:noinline
func pairs4(acc, a, a2, b, b2, c, c2, d, d2 []float32, wa, wb, wc, wd float32) {
	n := len(acc)
	a, a2, b, b2, c, c2, d, d2 = a[:n], a2[:n], b[:n], b2[:n], c[:n], c2[:n], d[:n], d2[:n]
	for k := 0; k < n; k++ {
		acc[k] += wa*(a[k]+a2[k]) + wb*(b[k]+b2[k]) + wc*(c[k]+c2[k]) + wd*(d[k]+d2[k])
	}
}

// smoothLine filters the periodic line src along itself and keeps every
// stride-th output: dst[K] = Σ_t w[t] · src[(K·stride + t − r) mod n]. ext
// is scratch of len(src) + len(w) values. Four outputs are summed at a
// time, four independent chains rather than one serial reduction, and the
// symmetric taps are paired as in sumSlabs.
func smoothLine(dst, src, ext []float32, w []float32, stride int) {
	n, r := len(src), len(w)/2
	ext = ext[:n+2*r]
	for i := range ext {
		ext[i] = src[((i-r)%n+n)%n]
	}
	lw := w[r:] // weights of offsets 0..r
	L := len(lw)
	K := 0
	for ; K+4 <= len(dst); K += 4 {
		e0, e1 := ext[K*stride:][:2*L-1], ext[(K+1)*stride:][:2*L-1]
		e2, e3 := ext[(K+2)*stride:][:2*L-1], ext[(K+3)*stride:][:2*L-1]
		s0, s1, s2, s3 := lw[0]*e0[L-1], lw[0]*e1[L-1], lw[0]*e2[L-1], lw[0]*e3[L-1]
		for t := 1; t < L; t++ {
			wt := lw[t]
			s0 += wt * (e0[L-1-t] + e0[L-1+t])
			s1 += wt * (e1[L-1-t] + e1[L-1+t])
			s2 += wt * (e2[L-1-t] + e2[L-1+t])
			s3 += wt * (e3[L-1-t] + e3[L-1+t])
		}
		dst[K], dst[K+1], dst[K+2], dst[K+3] = s0, s1, s2, s3
	}
	for ; K < len(dst); K++ {
		e := ext[K*stride:][:2*L-1]
		s := lw[0] * e[L-1]
		for t := 1; t < L; t++ {
			s += lw[t] * (e[L-1-t] + e[L-1+t])
		}
		dst[K] = s
	}
}

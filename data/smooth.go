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
// float32). N must be divisible by stride and sigma must be finite and >= 0:
// other values are errors wrapping ErrBadInput. Axes are filtered one at a
// time, each pass subsampling the axis it filters, in parallel over output
// lines; each output value is computed by one worker in a fixed order, so
// the result does not depend on the thread count.
func SmoothStride(f *Field, sigma float64, stride, threads int) (*Field, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("smoothing sigma %g, want a finite value >= 0: %w", sigma, ErrBadInput)
	}
	if stride < 1 || f.N%stride != 0 {
		return nil, fmt.Errorf("grid %d is not divisible by stride %d: %w", f.N, stride, ErrBadInput)
	}
	w := GaussianKernel(sigma)
	shape := [3]int{f.N, f.N, f.N}
	cur := f.Data
	for axis := range f.Dim {
		outer, inner := 1, 1
		for a := range axis {
			outer *= shape[a]
		}
		for a := axis + 1; a < f.Dim; a++ {
			inner *= shape[a]
		}
		n := shape[axis]
		next := make([]float32, outer*(n/stride)*inner)
		smoothAxis(next, cur, outer, n, inner, w, stride, threads)
		shape[axis] = n / stride
		cur = next
	}
	return &Field{Dim: f.Dim, N: f.N / stride, Data: cur}, nil
}

// smoothAxis filters src, of shape (outer, n, inner), along its middle axis
// with weights w (centred) and keeps every stride-th output, writing dst of
// shape (outer, n/stride, inner).
func smoothAxis(dst, src []float32, outer, n, inner int, w []float32, stride, threads int) {
	r := len(w) / 2
	m := n / stride
	if inner == 1 {
		// Contiguous lines: copy each into a buffer extended by r on both
		// sides, then take dot products.
		ParallelFor(threads, outer, func(_, lo, hi int) {
			ext := make([]float32, n+2*r)
			for o := lo; o < hi; o++ {
				line := src[o*n : (o+1)*n]
				for i := range ext {
					ext[i] = line[((i-r)%n+n)%n]
				}
				out := dst[o*m : (o+1)*m]
				for I := range out {
					seg := ext[I*stride : I*stride+len(w)]
					var s float32
					for t, wt := range w {
						s += wt * seg[t]
					}
					out[I] = s
				}
			}
		})
		return
	}
	// Strided axis: each output row (o, I) is a weighted sum of len(w) input
	// rows, accumulated tile by tile so the output tile stays in L1 cache.
	const tile = 2048
	ParallelFor(threads, outer*m, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			o, I := u/m, u%m
			out := dst[u*inner : (u+1)*inner]
			for t0 := 0; t0 < inner; t0 += tile {
				t1 := min(t0+tile, inner)
				acc := out[t0:t1]
				clear(acc)
				in := func(t int) []float32 {
					row := ((I*stride+t-r)%n + n) % n
					return src[(o*n+row)*inner+t0 : (o*n+row)*inner+t1][:len(acc)]
				}
				// Four taps per pass over the tile: a quarter of the loads
				// and stores of acc.
				t := 0
				for ; t+4 <= len(w); t += 4 {
					a, b, c, d := in(t), in(t+1), in(t+2), in(t+3)
					wa, wb, wc, wd := w[t], w[t+1], w[t+2], w[t+3]
					for k := range acc {
						acc[k] += wa*a[k] + wb*b[k] + wc*c[k] + wd*d[k]
					}
				}
				for ; t < len(w); t++ {
					a, wa := in(t), w[t]
					for k := range acc {
						acc[k] += wa * a[k]
					}
				}
			}
		}
	})
}

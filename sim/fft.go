package sim

import (
	"fmt"

	"github.com/cosmogan/cosmogan/data"
	"gonum.org/v1/gonum/dsp/fourier"
)

// fftBatch is how many neighbouring lines a worker gathers at once along a
// strided axis, so each cache line it reads is used fully.
const fftBatch = 8

// fftN transforms x, a row-major n^dim grid (axis 0 slowest), in place, one
// axis at a time with gonum's mixed-radix complex FFT (dsp/fourier, any n),
// the lines of each axis split among threads (0: all cores). Each line is
// transformed independently, so the result does not depend on threads.
// Forward is X_k = Σ_x x_x e^{−2πi k·x/n}, unnormalised; inverse is
// x_x = n^−dim Σ_k X_k e^{+2πi k·x/n}, so inverse(forward(x)) = x.
func fftN(x []complex128, dim, n int, inverse bool, threads int) {
	total := 1
	for range dim {
		total *= n
	}
	if len(x) != total {
		panic(fmt.Sprintf("sim: fftN of %d values for n=%d, dim=%d", len(x), n, dim))
	}
	for axis := range dim {
		stride := 1
		for range dim - 1 - axis {
			stride *= n
		}
		// Lines along axis start at block·n·stride + off, off < stride;
		// work units are batches of fftBatch consecutive offsets.
		perBlock := (stride + fftBatch - 1) / fftBatch
		units := total / (n * stride) * perBlock
		data.ParallelFor(threads, units, func(_, lo, hi int) {
			t := fourier.NewCmplxFFT(n)
			buf := make([]complex128, fftBatch*n)
			for u := lo; u < hi; u++ {
				base := u / perBlock * n * stride
				off0 := u % perBlock * fftBatch
				m := min(fftBatch, stride-off0)
				for i := range n {
					row := x[base+i*stride+off0 : base+i*stride+off0+m]
					for b, v := range row {
						buf[b*n+i] = v
					}
				}
				for b := range m {
					line := buf[b*n : (b+1)*n]
					if inverse {
						t.Sequence(line, line)
					} else {
						t.Coefficients(line, line)
					}
				}
				for i := range n {
					row := x[base+i*stride+off0 : base+i*stride+off0+m]
					for b := range row {
						row[b] = buf[b*n+i]
					}
				}
			}
		})
	}
	if inverse {
		s := complex(1/float64(total), 0)
		data.ParallelFor(threads, total, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				x[i] *= s
			}
		})
	}
}

// freq is the signed integer frequency of FFT index i on an axis of n points:
// 0, 1, ..., n/2, then −(n−1)/2, ..., −1 (for even n, n/2 counts as positive;
// only its square matters here).
func freq(i, n int) int {
	if i <= n/2 {
		return i
	}
	return i - n
}

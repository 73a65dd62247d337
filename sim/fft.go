package sim

import (
	"fmt"

	"gonum.org/v1/gonum/dsp/fourier"
)

// fftN transforms x, a row-major n^dim grid (axis 0 slowest), in place, one
// axis at a time with gonum's mixed-radix complex FFT (dsp/fourier, any n).
// Forward is X_k = Σ_x x_x e^{−2πi k·x/n}, unnormalised; inverse is
// x_x = n^−dim Σ_k X_k e^{+2πi k·x/n}, so inverse(forward(x)) = x.
func fftN(x []complex128, dim, n int, inverse bool) {
	total := 1
	for range dim {
		total *= n
	}
	if len(x) != total {
		panic(fmt.Sprintf("sim: fftN of %d values for n=%d, dim=%d", len(x), n, dim))
	}
	t := fourier.NewCmplxFFT(n)
	buf := make([]complex128, n)
	for axis := range dim {
		stride := 1
		for range dim - 1 - axis {
			stride *= n
		}
		// Lines along axis start at every index whose coordinate on axis is
		// 0: outer blocks of size n*stride, inner offsets below stride.
		for block := 0; block < total; block += n * stride {
			for off := range stride {
				base := block + off
				for i := range n {
					buf[i] = x[base+i*stride]
				}
				if inverse {
					t.Sequence(buf, buf)
				} else {
					t.Coefficients(buf, buf)
				}
				for i := range n {
					x[base+i*stride] = buf[i]
				}
			}
		}
	}
	if inverse {
		s := complex(1/float64(total), 0)
		for i := range x {
			x[i] *= s
		}
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

package eval

import (
	"math"
	"math/bits"
)

// radix2 is an in-place, unnormalized forward DFT (numpy's sign convention,
// A_k = Σ_t x_t e^(−2πi kt/n)) of length n = 2^p, iterative
// decimation in time. It transforms either one contiguous sequence (line)
// or many at once (columns): n rows of width values, where the butterflies
// of one row pair share a twiddle across the whole row, so the inner loops
// run over contiguous memory with no gathering. That is how the spectrum
// transforms the axes of a grid other than the last.
type radix2 struct {
	n   int
	rev []int        // bit reversal of each index
	tw  []complex128 // e^(−2πi k/n), k < n/2
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

func newRadix2(n int) *radix2 {
	r := &radix2{n: n, rev: make([]int, n), tw: make([]complex128, n/2)}
	shift := bits.UintSize - bits.Len(uint(n-1))
	for i := range n {
		r.rev[i] = int(bits.Reverse(uint(i)) >> shift)
	}
	if n == 1 {
		r.rev[0] = 0
	}
	for k := range n / 2 {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		r.tw[k] = complex(c, s)
	}
	return r
}

// line transforms x (length n) in place.
func (r *radix2) line(x []complex128) {
	x = x[:r.n]
	for i, j := range r.rev {
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for i := 0; i+1 < r.n; i += 2 { // first stage: twiddle 1
		a, b := x[i], x[i+1]
		x[i], x[i+1] = a+b, a-b
	}
	for half := 2; half < r.n; half *= 2 {
		step := r.n / (2 * half)
		for start := 0; start < r.n; start += 2 * half {
			lo, hi := x[start:start+half], x[start+half:start+2*half]
			for j := range lo {
				t := r.tw[j*step] * hi[j]
				hi[j] = lo[j] - t
				lo[j] += t
			}
		}
	}
}

// columns transforms, in place, the width sequences that run down the n
// rows of x (len(x) = n*width): sequence c is x[c], x[width+c], ….
func (r *radix2) columns(x []complex128, width int) {
	x = x[:r.n*width]
	for i, j := range r.rev {
		if i < j {
			a, b := x[i*width:(i+1)*width], x[j*width:(j+1)*width]
			for c := range a {
				a[c], b[c] = b[c], a[c]
			}
		}
	}
	for half := 1; half < r.n; half *= 2 {
		step := r.n / (2 * half)
		for start := 0; start < r.n; start += 2 * half {
			for j := range half {
				w := r.tw[j*step]
				lo := x[(start+j)*width : (start+j+1)*width]
				hi := x[(start+j+half)*width : (start+j+half+1)*width]
				hi = hi[:len(lo)]
				if j == 0 {
					for c, b := range hi {
						a := lo[c]
						lo[c], hi[c] = a+b, a-b
					}
					continue
				}
				for c, b := range hi {
					t := w * b
					hi[c] = lo[c] - t
					lo[c] += t
				}
			}
		}
	}
}

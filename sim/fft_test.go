package sim

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// naiveDFT is the definition X_k = Σ_x x_x e^{−2πi k·x/n} summed directly.
func naiveDFT(x []complex128, dim, n int) []complex128 {
	coord := func(i int) []int {
		c := make([]int, dim)
		for a := dim - 1; a >= 0; a-- {
			c[a] = i % n
			i /= n
		}
		return c
	}
	out := make([]complex128, len(x))
	for k := range out {
		kc := coord(k)
		for j, v := range x {
			jc := coord(j)
			dot := 0
			for a := range dim {
				dot += kc[a] * jc[a]
			}
			out[k] += v * cmplx.Exp(complex(0, -2*math.Pi*float64(dot)/float64(n)))
		}
	}
	return out
}

func TestFFTNAgainstDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ dim, n int }{{2, 6}, {2, 8}, {3, 4}, {3, 5}} {
		total := int(math.Pow(float64(c.n), float64(c.dim)))
		x := make([]complex128, total)
		for i := range x {
			x[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		want := naiveDFT(x, c.dim, c.n)
		got := append([]complex128(nil), x...)
		fftN(got, c.dim, c.n, false, 3)
		for i := range got {
			if cmplx.Abs(got[i]-want[i]) > 1e-9 {
				t.Fatalf("dim %d n %d mode %d: got %v want %v", c.dim, c.n, i, got[i], want[i])
			}
		}
		fftN(got, c.dim, c.n, true, 2)
		for i := range got {
			if cmplx.Abs(got[i]-x[i]) > 1e-12 {
				t.Fatalf("dim %d n %d: inverse(forward) at %d = %v, want %v", c.dim, c.n, i, got[i], x[i])
			}
		}
	}
}

// BenchmarkFFT3D times one forward 3D transform at several sizes (gonum's
// 1D FFT along each axis, lines split among all cores).
func BenchmarkFFT3D(b *testing.B) {
	for _, n := range []int{64, 128, 256} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := make([]complex128, n*n*n)
			for i := range x {
				x[i] = complex(float64(i%7), 0)
			}
			b.ResetTimer()
			for range b.N {
				fftN(x, 3, n, false, 0)
			}
		})
	}
}

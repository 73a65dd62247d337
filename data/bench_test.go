package data

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the prepare pipeline's parts at several sizes; the
// side-by-side comparison with numpy/scipy is scripts/bench_prepare.py.

func BenchmarkDepositNGP(b *testing.B) {
	pos := randomPositions(1<<20, 3, 100, 1)
	for _, n := range []int{64, 128, 256} {
		b.Run(fmt.Sprintf("1Mparticles-grid%d", n), func(b *testing.B) {
			g := make([]float32, n*n*n)
			for range b.N {
				Deposit(g, Mesh{Dim: 3, N: n, Box: 100}, NGP, pos, 0)
			}
		})
	}
}

func BenchmarkSmoothStride(b *testing.B) {
	for _, n := range []int{96, 192, 384} {
		b.Run(fmt.Sprintf("grid%d-sigma3-stride3", n), func(b *testing.B) {
			f := &Field{Dim: 3, N: n, Data: make([]float32, n*n*n)}
			for i := range f.Data {
				f.Data[i] = float32(i % 13)
			}
			b.ResetTimer()
			for range b.N {
				SmoothStride(f, 3, 3, 0)
			}
		})
	}
}

func BenchmarkDTFE2D(b *testing.B) {
	for _, n := range []int{64, 128, 256} {
		b.Run(fmt.Sprintf("%dsq-particles", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			pos := make([]float64, 2*n*n)
			for i := range pos {
				pos[i] = rng.Float64() * 100
			}
			b.ResetTimer()
			for range b.N {
				if _, err := DTFE2D(pos, Mesh{Dim: 2, N: n, Box: 100}, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

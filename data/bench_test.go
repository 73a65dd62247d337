package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
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

// BenchmarkPrepare is the whole `prepare` pipeline of the paper's 3D field
// from a float32 .npy of n³ clustered particles: NGP into (1.5n)³, Eq. 2,
// σ 3 with stride 3. n = 256 is the input of scripts/bench_prepare.py
// (its file is 200 MB, written once per run).
func BenchmarkPrepare(b *testing.B) {
	for _, n := range []int{64, 128, 256} {
		b.Run(fmt.Sprintf("%dcubed-particles-grid%d", n, 3*n/2), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "pos.npy")
			if err := WriteArray(path, []int{n * n * n, 3}, clusteredPositions(n, 100), nil); err != nil {
				b.Fatal(err)
			}
			p, err := OpenParticlesNPY(path, 100)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(12 * n * n * n))
			b.ResetTimer()
			for range b.N {
				if _, err := Prepare(p, PrepareOptions{Grid: 3 * n / 2, Scheme: NGP, Transform: Eq2, Sigma: 3, Stride: 3}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// clusteredPositions is a lattice of n³ particles in a box displaced by
// smooth waves and noise, as scripts/bench_prepare.py makes them: in
// lattice order, as snapshots usually store particles.
func clusteredPositions(n int, box float64) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	pos := make([]float32, 0, 3*n*n*n)
	phase := [3]float64{rng.Float64() * 6, rng.Float64() * 6, rng.Float64() * 6}
	for i := range n {
		for j := range n {
			for k := range n {
				for a, l := range [3]int{i, j, k} {
					q := (float64(l) + 0.5) * box / float64(n)
					x := q + 3*math.Sin(q*2*math.Pi/box*3+phase[a]) + 0.5*rng.NormFloat64()
					pos = append(pos, float32(math.Mod(x+box, box)))
				}
			}
		}
	}
	return pos
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

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per call) for square problems and
// for an im2col-convolution-like wide shape, on 1 and 2 threads.
//
//	go test -run '^$' -bench Sgemm -benchtime 2s ./kernels/
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name           string
		m, n, k        int
		transA, transB bool
	}{
		{"n=64", 64, 64, 64, false, false},
		{"n=256", 256, 256, 256, false, false},
		{"n=1024", 1024, 1024, 1024, false, false},
		{"n=2048", 2048, 2048, 2048, false, false},
		{"n=1024_transA", 1024, 1024, 1024, true, false},
		{"n=1024_transB", 1024, 1024, 1024, false, true},
		// im2col convolution: weights (m×k) times columns (k×n)
		{"conv_m=64_n=32768_k=64", 64, 32768, 64, false, false},
		{"conv_m=32_n=200000_k=64", 32, 200000, 64, false, false},
		// its backward passes: dW = dY·colsᵀ, dcols = Wᵀ·dY
		{"convdW_m=64_n=64_k=32768", 64, 64, 32768, false, true},
		{"convdX_m=64_n=32768_k=64", 64, 32768, 64, true, false},
		{"small_m=16_n=16_k=20000", 16, 16, 20000, false, false},
		// skinny products (small batches through dense layers)
		{"gemv_m=1_n=512_k=4096", 1, 512, 4096, false, false},
		{"gemv_m=512_n=1_k=4096", 512, 1, 4096, false, false},
		{"gemv_m=1_n=512_k=4096_transB", 1, 512, 4096, false, true},
		{"skinny_m=4_n=100_k=20000", 4, 100, 20000, false, false},
		{"skinny_m=100_n=4_k=20000", 100, 4, 20000, false, false},
		{"skinny_m=16_n=1000_k=3000", 16, 1000, 3000, false, false},
		{"skinny_m=1000_n=16_k=3000", 1000, 16, 3000, false, false},
	}
	for _, s := range shapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", s.name, threads), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				a := randSlice(r, s.m*s.k)
				bb := randSlice(r, s.k*s.n)
				c := make([]float32, s.m*s.n)
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				team := NewTeam(threads)
				defer team.Close()
				Sgemm(team, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				b.ResetTimer()
				for b.Loop() {
					Sgemm(team, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

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
		name    string
		m, n, k int
	}{
		{"n=64", 64, 64, 64},
		{"n=256", 256, 256, 256},
		{"n=1024", 1024, 1024, 1024},
		{"n=2048", 2048, 2048, 2048},
		{"conv_m=64_n=32768_k=64", 64, 32768, 64},
		{"conv_m=32_n=200000_k=64", 32, 200000, 64},
		{"small_m=16_n=16_k=20000", 16, 16, 20000},
	}
	for _, s := range shapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", s.name, threads), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				a := randSlice(r, s.m*s.k)
				bb := randSlice(r, s.k*s.n)
				c := make([]float32, s.m*s.n)
				team := NewTeam(threads)
				defer team.Close()
				Sgemm(team, false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
				b.ResetTimer()
				for b.Loop() {
					Sgemm(team, false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

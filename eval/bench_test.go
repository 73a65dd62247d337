package eval

import (
	"fmt"
	"testing"
)

// BenchmarkEstimate times the four estimators of Estimate (one pass) on
// lognormal sets; it reports images (or cubes) per second.
func BenchmarkEstimate(b *testing.B) {
	for _, tc := range []struct{ m, n, dim int }{{256, 64, 2}, {128, 128, 2}, {64, 32, 3}, {32, 64, 3}} {
		s := lognormalSet(tc.m, tc.n, tc.dim, 1)
		bins := binning(b, s)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dD/N=%d/threads=%d", tc.dim, tc.n, threads), func(b *testing.B) {
				for b.Loop() {
					estimate(b, s, bins, threads)
				}
				b.ReportMetric(float64(b.N*tc.m)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

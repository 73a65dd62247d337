package eval

import (
	"fmt"
	"os"
	"testing"

	"github.com/cosmogan/cosmogan/data"
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

// BenchmarkEstimateFile times NewBinning and Estimate, all four estimators,
// on the set in the .npy file named by $EVAL_BENCH_NPY (float32 cubes or
// images of linear density), with 1 and 2 threads; scripts/bench_eval.py
// runs it side by side with numpy and scipy on the same file. It reports
// cubes (or images) per second over the whole set.
func BenchmarkEstimateFile(b *testing.B) {
	path := os.Getenv("EVAL_BENCH_NPY")
	if path == "" {
		b.Skip("set EVAL_BENCH_NPY to an .npy set")
	}
	t, err := data.ReadNPY(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSet(t, data.None)
	if err != nil {
		b.Fatal(err)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				bins, err := NewBinning(s, 0, 0, threads)
				if err != nil {
					b.Fatal(err)
				}
				estimate(b, s, bins, threads)
			}
			b.ReportMetric(float64(b.N*s.Count)/b.Elapsed().Seconds(), "cubes/s")
		})
	}
}

// BenchmarkNearest times the distances between all pairs of 800 images of
// 64², the collapse check's work for one set (issue 11's test set size).
func BenchmarkNearest(b *testing.B) {
	s := lognormalSet(800, 64, 2, 1)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				rmsDistances(s.Data, nil, s.Pixels(), threads)
			}
			b.ReportMetric(float64(b.N)*800*799/2/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}

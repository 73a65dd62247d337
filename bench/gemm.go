package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
)

// gemmShape is one Sgemm problem: C (M×N) = op(A) (M×K) · op(B) (K×N).
type gemmShape struct {
	Name           string `json:"name"`
	M, N, K        int
	TransA, TransB bool
}

// gemmShapes are the square problems the target names (n = 1024 and
// 2048, for comparison with OpenBLAS through scripts/bench_gemm.py) and the
// GEMMs of the paper's largest 3D and 2D layers at their benchmark batches
// (4 and 50): forward (weights × columns), weight gradient (dy × columnsᵀ)
// and column gradient (weightsᵀ × dy).
var gemmShapes = []gemmShape{
	{Name: "square n=1024", M: 1024, N: 1024, K: 1024},
	{Name: "square n=2048", M: 2048, N: 2048, K: 2048},
	{Name: "3D conv 32→64 fwd", M: 64, N: 4 * 16 * 16 * 16, K: 32 * 64},
	{Name: "3D conv 32→64 dW", M: 64, N: 32 * 64, K: 4 * 16 * 16 * 16, TransB: true},
	{Name: "3D conv 32→64 dcols", M: 32 * 64, N: 4 * 16 * 16 * 16, K: 64, TransA: true},
	{Name: "2D conv 64→128 fwd", M: 128, N: 50 * 16 * 16, K: 64 * 25},
	{Name: "2D conv 64→128 dW", M: 128, N: 64 * 25, K: 50 * 16 * 16, TransB: true},
	{Name: "2D conv 64→128 dcols", M: 64 * 25, N: 50 * 16 * 16, K: 128, TransA: true},
}

// GemmResult is the speed of one Sgemm problem on a number of threads.
type GemmResult struct {
	Shape   string  `json:"shape"`
	M       int     `json:"m"`
	N       int     `json:"n"`
	K       int     `json:"k"`
	TransA  bool    `json:"trans_a"`
	TransB  bool    `json:"trans_b"`
	Threads int     `json:"threads"`
	Seconds float64 `json:"seconds"` // median of the timed calls
	GFLOPS  float64 `json:"gflops"`  // 2·M·N·K per call
}

// Gemm times Sgemm on gemmShapes for every thread count, each the
// median of reps calls after one warm-up call.
func Gemm(threads []int, reps int) ([]GemmResult, error) {
	if reps < 1 {
		return nil, argErrorf("--steps %d: want ≥ 1", reps)
	}
	var res []GemmResult
	for _, th := range threads {
		if th < 0 {
			return nil, argErrorf("--threads %d: want ≥ 0", th)
		}
		team := kernels.NewTeam(th)
		for _, s := range gemmShapes {
			sec := gemmSeconds(team, s, reps)
			res = append(res, GemmResult{Shape: s.Name, M: s.M, N: s.N, K: s.K, TransA: s.TransA, TransB: s.TransB,
				Threads: team.Threads(), Seconds: sec, GFLOPS: 2 * float64(s.M) * float64(s.N) * float64(s.K) / sec / 1e9})
		}
		team.Close()
	}
	return res, nil
}

// gemmSeconds is the median time of Sgemm on shape s with random operands.
func gemmSeconds(team *kernels.Team, s gemmShape, reps int) float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b, c := make([]float32, s.M*s.K), make([]float32, s.K*s.N), make([]float32, s.M*s.N)
	for _, m := range [][]float32{a, b} {
		for i := range m {
			m[i] = float32(2*rng.Float64() - 1)
		}
	}
	lda, ldb := s.K, s.N
	if s.TransA {
		lda = s.M
	}
	if s.TransB {
		ldb = s.K
	}
	return timed(reps, nil, func() { kernels.Sgemm(team, s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) })
}

func (g GemmResult) String() string {
	return fmt.Sprintf("%-22s %5d %6d %6d  %d threads  %8.2f ms  %6.1f GFLOP/s", g.Shape, g.M, g.N, g.K, g.Threads, g.Seconds*1e3, g.GFLOPS)
}

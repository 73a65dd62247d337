package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withPortable runs f with the portable Go loops instead of the assembly ones.
func withPortable(f func()) {
	saved := pointwiseAsm
	pointwiseAsm = false
	defer func() { pointwiseAsm = saved }()
	f()
}

// closeTo reports whether got equals want to float32 rounding (or both NaN).
func closeTo(got, want float32) bool {
	if math.IsNaN(float64(want)) {
		return math.IsNaN(float64(got))
	}
	return math.Abs(float64(got-want)) <= 1e-6*math.Abs(float64(want))
}

// TestPointwiseFastMatchesPortable checks the vector activation and Adam
// loops against the Go loops on odd lengths, with zeros and NaNs among the
// values, on one and two workers.
func TestPointwiseFastMatchesPortable(t *testing.T) {
	if !pointwiseAsm {
		t.Skip("no vector loops on this CPU or build: nothing to compare the portable loops with")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, threads := range []int{1, 2} {
		team := NewTeam(threads)
		for _, n := range []int{1, 7, 8, 9, 37, 3*pointwiseGrain + 5} {
			x, dy := randNormals(rng, n), randNormals(rng, n)
			x[0], x[n/2] = 0, float32(math.NaN())
			ops := map[string]func(out []float32){
				"relu":          func(out []float32) { ReLU(team, x, out) },
				"relu backward": func(out []float32) { ReLUBackward(team, x, dy, out) },
				"leaky":         func(out []float32) { LeakyReLU(team, 0.2, x, out) },
				"leaky backward": func(out []float32) {
					LeakyReLUBackward(team, 0.2, x, dy, out)
				},
				"adam": func(out []float32) {
					g, m, v := dy[:n:n], make([]float32, n), make([]float32, n)
					for i := range m {
						m[i], v[i] = x[i]/3, float32(i%5)*0.01
					}
					copy(out, x)
					Adam(team, out, g, m, v, 2e-4, 0.5, 0.999, 1e-8, 3)
					Adam(team, out, g, m, v, 2e-4, 0.5, 0.999, 1e-8, 4)
				},
			}
			for name, op := range ops {
				got, want := make([]float32, n), make([]float32, n)
				op(got)
				withPortable(func() { op(want) })
				for i := range want {
					if !closeTo(got[i], want[i]) {
						t.Fatalf("%s, n = %d, %d workers: [%d] = %g, portable loop gives %g", name, n, threads, i, got[i], want[i])
					}
				}
			}
		}
		team.Close()
	}
}

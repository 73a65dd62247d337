package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// newTestSet returns m images (dim 2) or cubes (dim 3) of side n with values
// from f(image, flat index), as linear density.
func newTestSet(m, n, dim int, f func(i, j int) float64) Set {
	s := Set{Count: m, Side: n, Dim: dim}
	p := s.Pixels()
	s.Data = make([]float32, m*p)
	for i := range m {
		for j := range p {
			s.Data[i*p+j] = float32(f(i, j))
		}
	}
	return s
}

// gaussianSet is white noise of mean mu and standard deviation sigma.
func gaussianSet(m, n, dim int, mu, sigma float64, seed uint64) Set {
	r := rand.New(rand.NewPCG(seed, 1))
	return newTestSet(m, n, dim, func(int, int) float64 { return mu + sigma*r.NormFloat64() })
}

// lognormalSet is exp of white noise: positive, skewed, like a density.
func lognormalSet(m, n, dim int, seed uint64) Set {
	r := rand.New(rand.NewPCG(seed, 2))
	return newTestSet(m, n, dim, func(int, int) float64 { return math.Exp(r.NormFloat64()) })
}

func estimate(t testing.TB, s Set, b Binning, threads int) *Stats {
	t.Helper()
	st, err := Estimate(s, b, threads)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func binning(t testing.TB, ref Set) Binning {
	t.Helper()
	b, err := NewBinning(ref, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBinnerExact: the table lookup agrees with bisection on float64 edges
// for random values, for the edges themselves and their float32 neighbours,
// whether or not the edges are log-spaced.
func TestBinnerExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, edges := range [][]float64{
		logEdges(1e-5, 2632, 40),
		logEdges(0.9, 1.1, 7),
		{0.1, 0.3, 0.30000001, 7, 1e6},
	} {
		b := newBinner(edges)
		var vals []float32
		for _, e := range edges {
			f := float32(e)
			vals = append(vals, f, math.Nextafter32(f, 0), math.Nextafter32(f, 1e30))
		}
		for range 100000 {
			vals = append(vals, float32(math.Exp(r.Float64()*30-15)))
		}
		vals = append(vals, 0)
		for _, v := range vals {
			if got, want := b.bin(v), binOf(edges, float64(v)); got != want {
				t.Fatalf("edges %v: bin(%g) = %d, want %d", edges, v, got, want)
			}
		}
	}
}

package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSmoothStrideAgainstDirectSum compares with the definition summed
// directly in float64: out[I] = Σ_x Π_a g(stride·I_a − x_a) f(x), x periodic,
// g the Gaussian sampled at −r..r, normalised, r = int(4σ + ½).
func TestSmoothStrideAgainstDirectSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct {
		dim, n, stride int
		sigma          float64
	}{{3, 12, 3, 1.2}, {2, 18, 2, 2.5}, {3, 8, 1, 0.7}, {2, 10, 5, 0}} {
		f := &Field{Dim: c.dim, N: c.n, Data: make([]float32, pow(c.n, c.dim))}
		for i := range f.Data {
			f.Data[i] = float32(rng.Float64())
		}
		got, err := SmoothStride(f, c.sigma, c.stride, 2)
		if err != nil {
			t.Fatal(err)
		}
		r := int(4*c.sigma + 0.5)
		g := make([]float64, 2*r+1)
		var s float64
		for k := range g {
			g[k] = math.Exp(-float64((k-r)*(k-r)) / (2 * c.sigma * c.sigma))
			if c.sigma == 0 {
				g[k] = 1
			}
			s += g[k]
		}
		m := c.n / c.stride
		if got.N != m || len(got.Data) != pow(m, c.dim) {
			t.Fatalf("shape N %d, want %d", got.N, m)
		}
		for o := range got.Data {
			var I [3]int
			rem := o
			for a := c.dim - 1; a >= 0; a-- {
				I[a], rem = rem%m, rem/m
			}
			var want float64
			var off [3]int
			var walk func(a int, w float64)
			walk = func(a int, w float64) {
				if a == c.dim {
					idx := 0
					for b := range c.dim {
						idx = idx*c.n + ((c.stride*I[b]+off[b])%c.n+c.n)%c.n
					}
					want += w * float64(f.Data[idx])
					return
				}
				for k := -r; k <= r; k++ {
					off[a] = k
					walk(a+1, w*g[k+r]/s)
				}
			}
			walk(0, 1)
			if math.Abs(float64(got.Data[o])-want) > 1e-5 {
				t.Fatalf("%+v: output %d = %v, want %v", c, o, got.Data[o], want)
			}
		}
	}
}

func TestSmoothStrideRejects(t *testing.T) {
	f := &Field{Dim: 2, N: 10, Data: make([]float32, 100)}
	if _, err := SmoothStride(f, 1, 3, 1); err == nil {
		t.Fatal("stride 3 of grid 10 accepted")
	}
	if _, err := SmoothStride(f, math.NaN(), 1, 1); err == nil {
		t.Fatal("NaN sigma accepted")
	}
}

// TestSmoothStrideThreads: the same output bit for bit for any thread
// count, with an output size that leaves a remainder after groups of four.
func TestSmoothStrideThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, dim := range []int{2, 3} {
		f := &Field{Dim: dim, N: 15, Data: make([]float32, pow(15, dim))}
		for i := range f.Data {
			f.Data[i] = float32(rng.Float64())
		}
		ref, err := SmoothStride(f, 2, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range []int{2, 3, 8} {
			got, _ := SmoothStride(f, 2, 3, th)
			for i := range got.Data {
				if got.Data[i] != ref.Data[i] {
					t.Fatalf("%dD, %d threads: value %d = %v, want %v", dim, th, i, got.Data[i], ref.Data[i])
				}
			}
		}
	}
}

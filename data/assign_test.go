package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDepositNGPByHand(t *testing.T) {
	// Box 8, grid 4: cells are 2 wide. x = 3.9 → cell 1; 4.0 → 2; −0.5 → 3
	// (periodic); 8.0 → 0 (periodic); 7.99 → 3.
	pos := []float64{
		3.9, 0.1, 5.0, // (1, 0, 2)
		4.0, 7.99, -0.5, // (2, 3, 3)
		8.0, 2.0, 1.0, // (0, 1, 0)
		3.0, 0.5, 5.5, // (1, 0, 2) again
	}
	m := Mesh{Dim: 3, N: 4, Box: 8}
	grid := make([]float32, 64)
	Deposit(grid, m, NGP, pos, 3)
	want := map[int]float32{(1*4+0)*4 + 2: 2, (2*4+3)*4 + 3: 1, (0*4+1)*4 + 0: 1}
	for i, v := range grid {
		if v != want[i] {
			t.Fatalf("cell %d: %v, want %v", i, v, want[i])
		}
	}
	g2 := make([]float32, 16)
	Deposit(g2, Mesh{Dim: 2, N: 4, Box: 8}, NGP, []float64{1, 7, -1, 9}, 2)
	if g2[0*4+3] != 1 || g2[3*4+0] != 1 {
		t.Fatalf("2D NGP: %v", g2)
	}
}

func TestDepositCICByHand(t *testing.T) {
	m := Mesh{Dim: 2, N: 4, Box: 4}
	grid := make([]float64, 16)
	// At a cell centre (1.5, 2.5): all in cell (1, 2).
	Deposit(grid, m, CIC, []float64{1.5, 2.5}, 1)
	if grid[1*4+2] != 1 {
		t.Fatalf("centre: %v", grid)
	}
	// At (0.25, 3.5): x is ¾ of the way from centre −0.5 (cell 3) to 0.5
	// (cell 0): weights ¼ to cell 3, ¾ to cell 0; y at centre of cell 3.
	clear(grid)
	Deposit(grid, m, CIC, []float64{0.25, 3.5}, 2)
	if grid[3*4+3] != 0.25 || grid[0*4+3] != 0.75 {
		t.Fatalf("wrap: %v", grid)
	}
}

func randomPositions(n, dim int, box float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := make([]float64, n*dim)
	for i := range p {
		p[i] = (rng.Float64()*1.2 - 0.1) * box // some outside the box: wrapped
	}
	return p
}

// TestDepositThreadsAndMass: the grid sums to the particle count, and is the
// same bit for bit for any thread count.
func TestDepositThreadsAndMass(t *testing.T) {
	for _, dim := range []int{2, 3} {
		for _, s := range []Scheme{NGP, CIC} {
			m := Mesh{Dim: dim, N: 12, Box: 3}
			pos := randomPositions(5000, dim, 3, 7)
			ref := make([]float64, pow(12, dim))
			Deposit(ref, m, s, pos, 1)
			var sum float64
			for _, v := range ref {
				sum += v
			}
			if math.Abs(sum-5000) > 1e-9 {
				t.Fatalf("%dD %v: sum %v, want 5000", dim, s, sum)
			}
			for _, th := range []int{2, 5} {
				g := make([]float64, len(ref))
				Deposit(g, m, s, pos, th)
				for i := range g {
					if g[i] != ref[i] {
						t.Fatalf("%dD %v, %d threads: cell %d %v, 1 thread %v", dim, s, th, i, g[i], ref[i])
					}
				}
			}
		}
	}
}

// TestInterpolateIsDepositTranspose: Σ_p (interp g)(p) = Σ_c g_c · (deposit
// of all particles)_c, the property that makes PM forces pairwise symmetric.
func TestInterpolateIsDepositTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, dim := range []int{2, 3} {
		m := Mesh{Dim: dim, N: 8, Box: 5}
		pos := randomPositions(300, dim, 5, 9)
		g := make([]float64, pow(8, dim))
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		dep := make([]float64, len(g))
		Deposit(dep, m, CIC, pos, 2)
		out := make([]float64, 300)
		InterpolateCIC(out, g, m, pos, 2)
		var lhs, rhs float64
		for _, v := range out {
			lhs += v
		}
		for i := range g {
			rhs += g[i] * dep[i]
		}
		if math.Abs(lhs-rhs) > 1e-9*math.Abs(rhs)+1e-9 {
			t.Fatalf("%dD: Σ interp %v, ⟨g, deposit⟩ %v", dim, lhs, rhs)
		}
	}
}

func TestParseScheme(t *testing.T) {
	for _, s := range []Scheme{NGP, CIC, DTFE} {
		if got, err := ParseScheme(s.String()); err != nil || got != s {
			t.Fatalf("%v: %v %v", s, got, err)
		}
	}
	if _, err := ParseScheme("tsc"); err == nil {
		t.Fatal("tsc accepted")
	}
}

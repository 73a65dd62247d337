package data

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
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

// TestNGPFastPathIsContract: the cell of every coordinate, by the
// multiplication fast path or the fallback, is floor(x / box · n) mod n
// evaluated as the contract writes it, including coordinates a few ulps
// either side of every cell boundary, outside the box, and huge.
func TestNGPFastPathIsContract(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range []struct {
		n   int
		box float64
	}{{384, 100}, {7, 3}, {768, 1000.0 / 3}, {5, 1e-3}} {
		var xs []float64
		for k := -c.n; k <= 2*c.n; k++ {
			edge := float64(k) * c.box / float64(c.n)
			for _, e := range []float64{edge, float64(float32(edge))} {
				for u := -3; u <= 3; u++ {
					xs = append(xs, e+float64(u)*math.Abs(e)*0x1p-52, float64(math.Nextafter32(float32(e), float32(e)+float32(u))))
				}
			}
		}
		for range 20000 {
			xs = append(xs, (rng.Float64()*3-1)*c.box, float64(float32(rng.Float64()*c.box)))
		}
		xs = append(xs, 1e300, -1e300, math.MaxFloat32, -7.5e17)
		m := Mesh{Dim: 3, N: c.n, Box: c.box}
		pos := make([]float64, 3*len(xs))
		for i, x := range xs {
			pos[3*i], pos[3*i+1], pos[3*i+2] = x, c.box/2, x
		}
		s := newNGPScatter(m, 3, len(xs))
		if q := sortCells(s, pos); q >= 0 {
			t.Fatalf("%+v: particle %d at %v refused", c, q, pos[3*q:3*q+3])
		}
		half := int(math.Floor(c.box / 2 / c.box * float64(c.n)))
		for i, x := range xs {
			f := math.Floor(x / c.box * float64(c.n))
			want := int(math.Mod(math.Mod(f, float64(c.n))+float64(c.n), float64(c.n)))
			if got := s.cells[i]; got != (want*c.n+half)*c.n+want {
				t.Fatalf("%+v: x = %v (%b): cell %d, want (%d, %d, %d)", c, x, math.Float64bits(x), got, want, half, want)
			}
		}
	}
	if q := sortCells(newNGPScatter(Mesh{Dim: 2, N: 4, Box: 1}, 2, 3), []float64{0, 0, 0.5, math.NaN(), math.Inf(1), 0}); q != 1 {
		t.Fatalf("first non-finite particle %d, want 1", q)
	}
}

// TestNGPThreadsAndChunks: the NGP counts of the float32 path and of the
// float64 path agree bit for bit for any thread count and chunk
// size, including more threads than particles or planes.
func TestNGPThreadsAndChunks(t *testing.T) {
	for _, dim := range []int{2, 3} {
		m := Mesh{Dim: dim, N: 6, Box: 3}
		pos := randomPositions(2000, dim, 3, 11)
		f32 := make([]float32, len(pos))
		for i, x := range pos {
			f32[i] = float32(x)
			pos[i] = float64(f32[i])
		}
		ref := make([]float32, pow(6, dim))
		Deposit(ref, m, NGP, pos, 1)
		for _, th := range []int{1, 2, 5, 8} {
			for _, chunk := range []int{1, 3, 2000} {
				g := make([]float32, len(ref))
				s := newNGPScatter(m, th, chunk)
				for lo := 0; lo < 2000; lo += chunk {
					if q := sortCells(s, f32[lo*dim:min(lo+chunk, 2000)*dim]); q >= 0 {
						t.Fatalf("particle %d refused", lo+q)
					}
					addCounts(g, s)
				}
				for i := range g {
					if g[i] != ref[i] {
						t.Fatalf("%dD, %d threads, chunk %d: cell %d = %v, want %v", dim, th, chunk, i, g[i], ref[i])
					}
				}
			}
		}
	}
}

// TestAssign: a new grid with what Deposit writes, and DTFE refused in 3D.
func TestAssign(t *testing.T) {
	m := Mesh{Dim: 3, N: 4, Box: 1}
	pos := []float64{0.1, 0.2, 0.3, 0.9, 0.9, 0.9, 0.1, 0.2, 0.3}
	g, err := Assign(m, NGP, pos, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 64)
	Deposit(want, m, NGP, pos, 1)
	if !slices.Equal(g, want) || want[(0*4+0)*4+1] != 2 {
		t.Errorf("Assign NGP = %v, want %v with 2 particles in cell (0, 0, 1)", g, want)
	}
	if _, err := Assign(m, DTFE, pos, 1); !errors.Is(err, ErrBadInput) {
		t.Errorf("3D DTFE: %v, want ErrBadInput", err)
	}
}

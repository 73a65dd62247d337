package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// acuteLattice is the periodic lattice spanned by (a, 0) and (a/2, a) in a
// box of side m·a (m even): its Delaunay triangles are unique (acute
// isosceles, area a²/2), six around each point, so the DTFE density is
// exactly 3 / (6 · a²/2) = 1/a² everywhere.
func acuteLattice(m int, box float64) []float64 {
	a := box / float64(m)
	var pos []float64
	for j := range m {
		for i := range m {
			pos = append(pos, (float64(i)+0.5*float64(j%2))*a+0.1*a, float64(j)*a+0.3*a)
		}
	}
	return pos
}

func TestDTFEAcuteLatticeIsUniform(t *testing.T) {
	for _, c := range []struct {
		m, grid int
	}{{16, 16}, {16, 32}, {32, 16}} {
		rho, err := DTFE2D(acuteLattice(c.m, 10), Mesh{Dim: 2, N: c.grid, Box: 10}, 2)
		if err != nil {
			t.Fatal(err)
		}
		// One particle per a² = (box/m)²; a pixel is (box/grid)².
		want := float64(c.m*c.m) / float64(c.grid*c.grid)
		for i, v := range rho {
			if math.Abs(float64(v)-want) > 1e-5*want {
				t.Fatalf("m %d grid %d pixel %d: %v, want %v", c.m, c.grid, i, v, want)
			}
		}
	}
}

// TestDTFEConservesMassAndThreads: the integral of the DTFE field is the
// particle count; pixel-centre sampling of a field at the particle spacing
// makes the pixel sum agree to about a percent. The result is the same for
// every thread count.
func TestDTFEConservesMassAndThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 4000
	pos := make([]float64, 2*n)
	for i := range pos {
		pos[i] = rng.Float64() * 50
	}
	m := Mesh{Dim: 2, N: 128, Box: 50}
	rho, err := DTFE2D(pos, m, 1)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range rho {
		if !(v > 0) {
			t.Fatalf("density %v, want > 0", v)
		}
		sum += float64(v)
	}
	if math.Abs(sum-float64(n)) > 0.02*float64(n) {
		t.Fatalf("pixel sum %v, want ≈ %d particles", sum, n)
	}
	rho3, _ := DTFE2D(pos, m, 3)
	for i := range rho {
		if rho[i] != rho3[i] {
			t.Fatalf("pixel %d: %v with 1 thread, %v with 3", i, rho[i], rho3[i])
		}
	}
}

func TestDelaunayEmptyCircles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := newDelaunay(300)
	for range 300 {
		d.x = append(d.x, int64(rng.IntN(1000)))
		d.y = append(d.y, int64(rng.IntN(1000)))
	}
	for i := range 6 { // lattice points: co-circular quadruples
		for j := range 6 {
			d.x, d.y = append(d.x, int64(100*i)), append(d.y, int64(100*j))
		}
	}
	for v := int32(3); v < int32(len(d.x)); v++ {
		d.insert(v)
	}
	live := 0
	for _, tr := range d.tri {
		if tr.dead {
			continue
		}
		live++
		if d.orient(tr.v[0], tr.v[1], tr.v[2]) <= 0 {
			t.Fatalf("triangle %v not counter-clockwise", tr.v)
		}
		for p := int32(3); p < int32(len(d.x)); p++ {
			if d.incircleExact(tr.v[0], tr.v[1], tr.v[2], p) > 0 {
				t.Fatalf("point %d inside the circumcircle of %v", p, tr.v)
			}
		}
		for i, nb := range tr.nb {
			if nb < 0 {
				continue
			}
			a, b := tr.v[(i+1)%3], tr.v[(i+2)%3]
			o := d.tri[nb]
			ok := false
			for k := range 3 {
				ok = ok || (o.v[(k+1)%3] == b && o.v[(k+2)%3] == a && o.nb[k] >= 0)
			}
			if !ok || o.dead {
				t.Fatalf("neighbour %d of %v does not share edge (%d,%d) back", nb, tr.v, a, b)
			}
		}
	}
	// Euler: n points (plus 3 super vertices, hull of 3) give 2(n+3) − 5 triangles,
	// less duplicates (none here beyond chance).
	if want := 2*len(d.x) - 5; live > want {
		t.Fatalf("%d triangles for %d vertices, want at most %d", live, len(d.x), want)
	}
}

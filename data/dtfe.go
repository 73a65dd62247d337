// The Delaunay tessellation field estimator (Schaap & van de Weygaert 2000;
// Aragon-Calvo 2020), which the paper used for its 2D maps (§2.2.1): the
// density at each particle is (D+1)·m / (area of the triangles around it),
// and the field is the linear interpolation of those densities over each
// Delaunay triangle, here sampled at pixel centres. Periodicity comes from
// ghost copies of the particles near the box edges.

package data

import (
	"fmt"
	"math"
	"sort"
)

// dtfeUnit is the box side in the integer coordinates of the triangulation:
// 2^26 units, finer than float32 positions resolve in any box.
const dtfeUnit = 1 << 26

// DTFE2D returns the DTFE density of the 2D particles pos (x, y pairs, x
// along axis 0) on the periodic m.N² grid of m, in particles per pixel (each
// particle has mass 1), evaluated at pixel centres ((i+½)·h, (j+½)·h). Its
// integral over the box is the number of particles. Coincident particles
// add their masses. Positions are rounded to 2^-26 of the box for an exact
// triangulation. The ghost margin grows until every triangle that touches
// the box has its circumcircle inside the ghost region, which guarantees the
// triangles are those of the periodic point set; too few particles to fill
// the box that way is an error wrapping ErrBadInput. The triangulation is
// sequential; the rasterization is parallel and thread-count independent.
func DTFE2D(pos []float64, m Mesh, threads int) ([]float32, error) {
	if m.Dim != 2 || len(pos)%2 != 0 || m.N < 1 || !(m.Box > 0) {
		panic(fmt.Sprintf("data: DTFE2D of %d coordinates on mesh %+v", len(pos), m))
	}
	n := len(pos) / 2
	if n < 3 {
		return nil, fmt.Errorf("dtfe of %d particles, want at least 3: %w", n, ErrBadInput)
	}
	px, py := make([]int64, n), make([]int64, n)
	for q := range n {
		px[q], py[q] = toUnit(pos[2*q], m.Box), toUnit(pos[2*q+1], m.Box)
	}

	margin := int64(min(float64(dtfeUnit), 8*dtfeUnit/math.Sqrt(float64(n))))
	for {
		rho, ok := dtfeTry(px, py, margin, m.N, threads)
		if ok {
			return rho, nil
		}
		if margin >= dtfeUnit {
			return nil, fmt.Errorf("dtfe: %d particles leave the box too empty to triangulate periodically (a circumcircle wider than the box): %w", n, ErrBadInput)
		}
		margin = min(2*margin, dtfeUnit)
	}
}

func toUnit(x, box float64) int64 {
	u := int64(math.Round(x / box * dtfeUnit))
	return ((u % dtfeUnit) + dtfeUnit) % dtfeUnit
}

// dtfeTry triangulates the particles with their periodic copies within
// margin of the box and rasterizes; ok is false if the margin is too thin.
func dtfeTry(px, py []int64, margin int64, grid, threads int) ([]float32, bool) {
	const L = dtfeUnit
	d, orig, mass := dtfeTriangulate(px, py, margin)
	// Star areas of the particles (in the box copy) and the triangles that
	// may cover the box, each checked to be a true periodic Delaunay
	// triangle. Triangles with a super vertex are left out; if one of them
	// covered a pixel, that pixel stays NaN and the margin grows.
	area := make([]float64, len(px))
	var used []int32
	for t := range d.tri {
		tr := &d.tri[t]
		if tr.dead {
			continue
		}
		super := tr.v[0] < 3 || tr.v[1] < 3 || tr.v[2] < 3
		star := !super && (d.inBox(tr.v[0]) || d.inBox(tr.v[1]) || d.inBox(tr.v[2]))
		if super {
			if d.inBox(tr.v[0]) || d.inBox(tr.v[1]) || d.inBox(tr.v[2]) {
				return nil, false
			}
			continue
		}
		if !star && !d.bboxOverlapsBox(tr) {
			continue
		}
		if !d.circleInside(tr, margin) {
			return nil, false
		}
		used = append(used, int32(t))
		a := float64(d.orient(tr.v[0], tr.v[1], tr.v[2])) / 2
		for _, v := range tr.v {
			if d.inBox(v) {
				area[orig[v-3]] += a
			}
		}
	}
	// Density at each particle, in particles per pixel: (D+1)·m / star area.
	pix := float64(L) / float64(grid)
	rho := make([]float64, len(px))
	for q := range rho {
		if mass[q] > 0 {
			rho[q] = 3 * mass[q] / (area[q] / (pix * pix))
		}
	}
	out := make([]float32, grid*grid)
	for i := range out {
		out[i] = float32(math.NaN())
	}
	ParallelFor(threads, grid, func(_, lo, hi int) {
		for _, t := range used {
			d.raster(out, &d.tri[t], rho, orig, pix, grid, lo, hi)
		}
	})
	for _, v := range out {
		if v != v {
			return nil, false
		}
	}
	return out, true
}

// dtfeTriangulate triangulates the particles with their periodic copies
// within margin of the box: the triangulation (three super vertices first),
// the particle of each other vertex, and each particle's mass, given to the
// vertex of its box copy.
func dtfeTriangulate(px, py []int64, margin int64) (d *delaunay, orig []int, mass []float64) {
	const L = dtfeUnit
	// The particles and their copies within margin, sorted along a Hilbert
	// curve so that consecutive insertions are close and point location
	// walks are short. Box copies come first among coincident points.
	type vertex struct {
		x, y int64
		q    int
		key  uint64
	}
	var vs []vertex
	for _, s := range [][2]int64{{0, 0}, {-L, -L}, {-L, 0}, {-L, L}, {0, -L}, {0, L}, {L, -L}, {L, 0}, {L, L}} {
		for q := range px {
			x, y := px[q]+s[0], py[q]+s[1]
			if x >= -margin && x < L+margin && y >= -margin && y < L+margin {
				vs = append(vs, vertex{x, y, q, hilbert((x+L)>>11, (y+L)>>11, 17)})
			}
		}
	}
	sort.SliceStable(vs, func(a, b int) bool { return vs[a].key < vs[b].key })
	d = newDelaunay(len(vs))
	orig = make([]int, len(vs)) // original particle of each vertex, after the 3 super vertices
	for k, v := range vs {
		d.x, d.y = append(d.x, v.x), append(d.y, v.y)
		orig[k] = v.q
	}
	// A particle's mass goes to the vertex of its box copy, or to the vertex
	// that copy coincides with.
	mass = make([]float64, len(px))
	for v := int32(3); v < int32(len(d.x)); v++ {
		at := v
		if dup := d.insert(v); dup >= 0 {
			at = dup
		}
		if d.inBox(v) {
			mass[orig[at-3]]++
		}
	}
	return d, orig, mass
}

func (d *delaunay) inBox(v int32) bool {
	return v >= 3 && d.x[v] >= 0 && d.x[v] < dtfeUnit && d.y[v] >= 0 && d.y[v] < dtfeUnit
}

func (d *delaunay) bboxOverlapsBox(tr *triangle) bool {
	lox, hix, loy, hiy := d.x[tr.v[0]], d.x[tr.v[0]], d.y[tr.v[0]], d.y[tr.v[0]]
	for _, v := range tr.v[1:] {
		lox, hix, loy, hiy = min(lox, d.x[v]), max(hix, d.x[v]), min(loy, d.y[v]), max(hiy, d.y[v])
	}
	return hix >= 0 && lox < dtfeUnit && hiy >= 0 && loy < dtfeUnit
}

// circleInside reports whether the circumcircle of tr lies within the
// region [−margin, L+margin)² where the ghost copies reproduce the periodic
// point set (with a little slack for the float64 circumcentre).
func (d *delaunay) circleInside(tr *triangle, margin int64) bool {
	ax, ay := float64(d.x[tr.v[0]]), float64(d.y[tr.v[0]])
	bx, by := float64(d.x[tr.v[1]])-ax, float64(d.y[tr.v[1]])-ay
	cx, cy := float64(d.x[tr.v[2]])-ax, float64(d.y[tr.v[2]])-ay
	den := 2 * (bx*cy - by*cx)
	b2, c2 := bx*bx+by*by, cx*cx+cy*cy
	ux, uy := (cy*b2-by*c2)/den, (bx*c2-cx*b2)/den
	r := math.Hypot(ux, uy)*(1+1e-9) + 2
	lo, hi := -float64(margin), float64(dtfeUnit+margin)
	return ax+ux-r >= lo && ax+ux+r <= hi && ay+uy-r >= lo && ay+uy+r <= hi
}

// raster writes the linear interpolation of the vertex densities of tr at
// the centres of the pixels it covers whose row lies in [lo, hi).
func (d *delaunay) raster(out []float32, tr *triangle, rho []float64, orig []int, pix float64, grid, lo, hi int) {
	var x, y, r [3]float64
	for k, v := range tr.v {
		x[k], y[k], r[k] = float64(d.x[v]), float64(d.y[v]), rho[orig[v-3]]
	}
	i0 := max(lo, int(math.Ceil(min(x[0], x[1], x[2])/pix-0.5)))
	i1 := min(hi-1, int(math.Floor(max(x[0], x[1], x[2])/pix-0.5)))
	j0 := max(0, int(math.Ceil(min(y[0], y[1], y[2])/pix-0.5)))
	j1 := min(grid-1, int(math.Floor(max(y[0], y[1], y[2])/pix-0.5)))
	area := (x[1]-x[0])*(y[2]-y[0]) - (y[1]-y[0])*(x[2]-x[0])
	const tol = -1e-12
	for i := i0; i <= i1; i++ {
		px := (float64(i) + 0.5) * pix
		for j := j0; j <= j1; j++ {
			py := (float64(j) + 0.5) * pix
			l0 := ((x[1]-px)*(y[2]-py) - (y[1]-py)*(x[2]-px)) / area
			l1 := ((x[2]-px)*(y[0]-py) - (y[2]-py)*(x[0]-px)) / area
			l2 := 1 - l0 - l1
			if l0 >= tol && l1 >= tol && l2 >= tol {
				out[i*grid+j] = float32(l0*r[0] + l1*r[1] + l2*r[2])
			}
		}
	}
}

// hilbert is the index of cell (x, y) along the Hilbert curve filling the
// 2^order × 2^order grid.
func hilbert(x, y int64, order uint) uint64 {
	var h uint64
	n := int64(1) << order
	for s := n >> 1; s > 0; s >>= 1 {
		var rx, ry int64
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		h += uint64(s*s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x, y = n-1-x, n-1-y
			}
			x, y = y, x
		}
	}
	return h
}

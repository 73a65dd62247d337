// Mass assignment (§2.2.1): particles to a periodic density grid. The paper
// histograms its 3D snapshot with nearest-grid-point (NGP) assignment; the
// particle-mesh simulator deposits and interpolates with cloud-in-cell (CIC).

package data

import (
	"fmt"
	"math"
	"strings"
)

// Scheme is a way of turning particles into a density grid.
type Scheme int

const (
	// NGP counts the particles in each cell: particle x lands in cell
	// floor(x / box · n) on each axis, modulo n.
	NGP Scheme = iota
	// CIC spreads each particle over the 2^dim cells nearest to it with
	// weights linear in the distance to their centres (cell i has its centre
	// at (i + ½)·box/n), periodically.
	CIC
	// DTFE is the Delaunay tessellation field estimator (2D only): see DTFE2D.
	DTFE
)

// ParseScheme reads "ngp", "cic" or "dtfe" (any case).
func ParseScheme(s string) (Scheme, error) {
	for _, c := range []Scheme{NGP, CIC, DTFE} {
		if strings.EqualFold(s, c.String()) {
			return c, nil
		}
	}
	return NGP, fmt.Errorf("unknown assignment %q, want \"ngp\", \"cic\" or \"dtfe\": %w", s, ErrBadInput)
}

// String returns the name ParseScheme accepts.
func (s Scheme) String() string {
	switch s {
	case NGP:
		return "ngp"
	case CIC:
		return "cic"
	case DTFE:
		return "dtfe"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// Mesh is the geometry of a periodic grid: n^Dim cells covering [0, Box)^Dim,
// row-major with axis 0 slowest, like Field.
type Mesh struct {
	Dim, N int
	Box    float64
}

func (m Mesh) check(gridLen, posLen int) {
	if m.Dim != 2 && m.Dim != 3 || m.N < 1 || !(m.Box > 0) || gridLen != pow(m.N, m.Dim) || posLen%m.Dim != 0 {
		panic(fmt.Sprintf("data: mesh %+v with a grid of %d values and %d coordinates", m, gridLen, posLen))
	}
}

// Deposit adds each particle of pos (Dim coordinates per particle, in the
// units of Box) to grid with weight 1, by NGP or CIC. Coordinates outside
// [0, Box) wrap periodically; they must be finite (it panics otherwise:
// readers validate user files). Workers own contiguous ranges of axis-0
// planes and each adds its particles in input order, so the result is the
// same for every thread count, bit for bit. NGP first computes every
// particle's cell in parallel over particles, so each worker then only
// compares and increments.
func Deposit[G float32 | float64](grid []G, m Mesh, s Scheme, pos []float64, threads int) {
	m.check(len(grid), len(pos))
	switch s {
	case NGP:
		cells := make([]int, len(pos)/m.Dim)
		ParallelFor(threads, len(cells), func(_, lo, hi int) { ngpCells(cells[lo:hi], m, pos[lo*m.Dim:hi*m.Dim]) })
		plane := len(grid) / m.N
		ParallelFor(threads, m.N, func(_, lo, hi int) {
			lo, hi = lo*plane, hi*plane
			for _, c := range cells {
				if c >= lo && c < hi {
					grid[c]++
				}
			}
		})
	case CIC:
		scale := float64(m.N) / m.Box
		ParallelFor(threads, m.N, func(_, lo, hi int) { depositCIC(grid, m, pos, scale, lo, hi) })
	default:
		panic(fmt.Sprintf("data: Deposit with %v, want ngp or cic", s))
	}
}

// ngpCell is floor(x / box · n) modulo n, evaluated in that order as the
// contract of `prepare` states it.
func ngpCell(x, box float64, n int) int {
	f := math.Floor(x / box * float64(n))
	if !(f > -1e15 && f < 1e15) {
		panic(fmt.Sprintf("data: particle coordinate %v, want finite", x))
	}
	c := int(f)
	if c < 0 || c >= n {
		c = (c%n + n) % n
	}
	return c
}

// cicCells returns the two cells the CIC kernel of a particle at x touches on
// one axis, and the weight of the first (the second has 1 − w).
func cicCells(x, scale float64, n int) (c0, c1 int, w float64) {
	u := x*scale - 0.5
	f := math.Floor(u)
	if !(f > -1e15 && f < 1e15) {
		panic(fmt.Sprintf("data: particle coordinate %v, want finite", x))
	}
	w = 1 - (u - f)
	c0 = int(f)
	if c0 < 0 || c0 >= n {
		c0 = (c0%n + n) % n
	}
	c1 = c0 + 1
	if c1 == n {
		c1 = 0
	}
	return c0, c1, w
}

// ngpCells writes the flat NGP cell index of each particle of pos.
func ngpCells(cells []int, m Mesh, pos []float64) {
	n, d := m.N, m.Dim
	for q := range cells {
		p := pos[q*d : q*d+d]
		c := ngpCell(p[0], m.Box, n)*n + ngpCell(p[1], m.Box, n)
		if d == 3 {
			c = c*n + ngpCell(p[2], m.Box, n)
		}
		cells[q] = c
	}
}

func depositCIC[G float32 | float64](grid []G, m Mesh, pos []float64, scale float64, lo, hi int) {
	n, d := m.N, m.Dim
	for p := 0; p < len(pos); p += d {
		i0, i1, wi := cicCells(pos[p], scale, n)
		in0, in1 := i0 >= lo && i0 < hi, i1 >= lo && i1 < hi
		if !in0 && !in1 {
			continue
		}
		j0, j1, wj := cicCells(pos[p+1], scale, n)
		var k0, k1 int
		wk := 1.0
		if d == 3 {
			k0, k1, wk = cicCells(pos[p+2], scale, n)
		}
		for a, ia := range [2]int{i0, i1} {
			if (a == 0 && !in0) || (a == 1 && !in1) {
				continue
			}
			wa := wi
			if a == 1 {
				wa = 1 - wi
			}
			if d == 2 {
				grid[ia*n+j0] += G(wa * wj)
				grid[ia*n+j1] += G(wa * (1 - wj))
				continue
			}
			for b, jb := range [2]int{j0, j1} {
				wb := wj
				if b == 1 {
					wb = 1 - wj
				}
				row := (ia*n + jb) * n
				grid[row+k0] += G(wa * wb * wk)
				grid[row+k1] += G(wa * wb * (1 - wk))
			}
		}
	}
}

// InterpolateCIC reads grid at each particle of pos with the CIC kernel of
// Deposit (the transpose of CIC deposition, which makes the PM force on a
// pair of particles equal and opposite) and writes one value per particle to
// out. Particles are split among threads; each value depends only on its
// particle, so the result does not depend on the thread count.
func InterpolateCIC(out, grid []float64, m Mesh, pos []float64, threads int) {
	m.check(len(grid), len(pos))
	if len(out) != len(pos)/m.Dim {
		panic(fmt.Sprintf("data: InterpolateCIC of %d particles into %d values", len(pos)/m.Dim, len(out)))
	}
	n, d, scale := m.N, m.Dim, float64(m.N)/m.Box
	ParallelFor(threads, len(out), func(_, lo, hi int) {
		for q := lo; q < hi; q++ {
			p := q * d
			i0, i1, wi := cicCells(pos[p], scale, n)
			j0, j1, wj := cicCells(pos[p+1], scale, n)
			if d == 2 {
				out[q] = wi*(wj*grid[i0*n+j0]+(1-wj)*grid[i0*n+j1]) +
					(1-wi)*(wj*grid[i1*n+j0]+(1-wj)*grid[i1*n+j1])
				continue
			}
			k0, k1, wk := cicCells(pos[p+2], scale, n)
			line := func(i, j int) float64 {
				r := (i*n + j) * n
				return wk*grid[r+k0] + (1-wk)*grid[r+k1]
			}
			out[q] = wi*(wj*line(i0, j0)+(1-wj)*line(i0, j1)) +
				(1-wi)*(wj*line(i1, j0)+(1-wj)*line(i1, j1))
		}
	})
}

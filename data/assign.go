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

// Assign returns the density (particles per pixel) of the positions pos on
// mesh m by scheme s, as a new grid of m.N^m.Dim values, first touched in
// parallel so that its pages spread over the workers. DTFE is 2D only: other
// dimensions are ErrBadInput.
func Assign(m Mesh, s Scheme, pos []float64, threads int) ([]float32, error) {
	if s == DTFE {
		if m.Dim != 2 {
			return nil, fmt.Errorf("dtfe assignment of %dD particles, want 2D (n, 2) positions: %w", m.Dim, ErrBadInput)
		}
		return DTFE2D(pos, m, threads)
	}
	g := make([]float32, pow(m.N, m.Dim))
	prefault(g, threads)
	Deposit(g, m, s, pos, threads)
	return g, nil
}

// Deposit adds each particle of pos (Dim coordinates per particle, in the
// units of Box) to grid with weight 1, by NGP or CIC. Coordinates outside
// [0, Box) wrap periodically; they must be finite (it panics otherwise:
// readers validate user files). Workers own disjoint sets of axis-0
// planes, so the result is the same for every thread count, bit for bit:
// for CIC each worker owns a contiguous range and adds its particles in
// input order; for NGP see ngpScatter.
func Deposit[G float32 | float64](grid []G, m Mesh, s Scheme, pos []float64, threads int) {
	m.check(len(grid), len(pos))
	switch s {
	case NGP:
		n := len(pos) / m.Dim
		sc := newNGPScatter(m, threads, n)
		if q := sortCells(sc, pos); q >= 0 {
			panic(fmt.Sprintf("data: particle %d at %v, want finite coordinates", q, pos[q*m.Dim:(q+1)*m.Dim]))
		}
		addCounts(grid, sc)
	case CIC:
		scale := float64(m.N) / m.Box
		ParallelFor(threads, m.N, func(_, lo, hi int) { depositCIC(grid, m, pos, scale, lo, hi) })
	default:
		panic(fmt.Sprintf("data: Deposit with %v, want ngp or cic", s))
	}
}

// ngpScatter adds NGP counts to a grid in parallel, one chunk of particles
// at a time: a sort method, then addCounts. Worker w owns the blocks of
// ngpBlock axis-0 planes numbered w modulo T, so no two workers write the
// same cell. A chunk takes two parallel phases: first each worker takes a
// contiguous share of the particles, computes their cells and sorts them
// by owning worker (a counting sort within its share, which stays in
// cache); then each worker adds the cells of its planes from every share.
// Every cell index is computed once and read once, whatever the thread
// count. Adding 1 in float32 or float64 is exact (up to 2^24 per cell in
// float32, where the count then sticks), so the counts depend neither on
// the order of the additions nor on the thread count.
type ngpScatter struct {
	m         Mesh
	t         int
	scale, nf float64 // N / Box and N, for the fast path of axisCell
	owner     []int32 // owner[i]: the worker owning plane i
	cells     []int   // flat cell of each particle of the chunk
	who       []int32 // owner of each particle's cell
	sorted    []int   // cells, each share sorted by owner
	starts    [][]int // starts[w][o]..starts[w][o+1]: share w's cells of owner o in sorted
	at        [][]int // scratch of share w's counting sort
	bad       []int   // first particle of each share with a non-finite coordinate, or −1
}

// ngpBlock is the number of consecutive planes a worker owns. Snapshots
// usually store particles in the order of their initial lattice, so a
// chunk lands in a narrow band of planes: owning thin interleaved blocks
// rather than one contiguous range each keeps every worker busy on every
// chunk.
const ngpBlock = 4

// newNGPScatter prepares to add chunks of up to chunk particles to a grid
// of mesh m.
func newNGPScatter(m Mesh, threads, chunk int) *ngpScatter {
	t := min(Threads(threads), m.N)
	s := &ngpScatter{
		m: m, t: t, scale: float64(m.N) / m.Box, nf: float64(m.N),
		owner: make([]int32, m.N), cells: make([]int, chunk), who: make([]int32, chunk),
		sorted: make([]int, chunk), starts: make([][]int, t), at: make([][]int, t), bad: make([]int, t),
	}
	for i := range s.owner {
		s.owner[i] = int32(i / ngpBlock % t)
	}
	for w := range s.starts {
		s.starts[w], s.at[w] = make([]int, t+1), make([]int, t+1)
	}
	return s
}

// cellTol is how close to a cell boundary the fast path of axisCell gives up.
// It computes x·(N/Box) where the contract says x/Box·N: the two differ by
// at most 5·2^−53 relative, under 10^−6 for any grid below 2^30 cells per
// axis, so a product more than cellTol inside a cell has the floor of the
// contract's expression.
const cellTol = 1e-6

// cellsOf records the cell and owner of particles q0, q0+1, … at pos (Dim
// coordinates each) and returns −1, or the first with a non-finite
// coordinate. In 3D the fast path takes one multiplication and a
// truncation per axis, for coordinates inside the box and not within
// cellTol of a cell boundary; put takes the others. (int() truncates, so
// u in (−1, 0) gives cell 0 with a negative fraction, which the fraction
// test refuses.)
func cellsOf[F float32 | float64](s *ngpScatter, q0 int, pos []F) int {
	d, n, scale := s.m.Dim, s.m.N, s.scale
	np := len(pos) / d
	cells, who, owner := s.cells[q0:q0+np], s.who[q0:q0+np], s.owner
	for q := range cells {
		p := pos[q*d : q*d+d]
		if d == 3 {
			u, v, w := float64(p[0])*scale, float64(p[1])*scale, float64(p[2])*scale
			i, j, k := int(u), int(v), int(w)
			fu, fv, fw := u-float64(i), v-float64(j), w-float64(k)
			// Separate tests rather than one && chain: the compiler then
			// keeps everything in registers.
			if uint(i) < uint(n) && uint(j) < uint(n) && uint(k) < uint(n) {
				if fu > cellTol && fu < 1-cellTol && fv > cellTol && fv < 1-cellTol && fw > cellTol && fw < 1-cellTol {
					cells[q], who[q] = (i*n+j)*n+k, owner[i]
					continue
				}
			}
		}
		var x [3]float64
		for a := range p {
			x[a] = float64(p[a])
		}
		if !s.put(q0+q, x[:d]) {
			return q0 + q
		}
	}
	return -1
}

// put records the cell of particle q at p (Dim coordinates) and its owner
// by the contract's expression; false for a non-finite coordinate.
func (s *ngpScatter) put(q int, p []float64) bool {
	c, i := 0, 0
	for a, x := range p {
		ca, ok := ngpCellChecked(x, s.m.Box, s.m.N)
		if !ok {
			return false
		}
		if a == 0 {
			i = ca
		}
		c = c*s.m.N + ca
	}
	s.cells[q], s.who[q] = c, s.owner[i]
	return true
}

// sortCells computes the cells of the particles of pos (Dim coordinates
// each) and sorts them by owner. It returns −1, or the index of the first
// particle with a non-finite coordinate.
func sortCells[F float32 | float64](s *ngpScatter, pos []F) int {
	d := s.m.Dim
	return s.sort(len(pos)/d, func(lo, hi int) int { return cellsOf(s, lo, pos[lo*d:hi*d]) })
}

// sort runs the first phase for a chunk of n particles; cells(lo, hi) fills
// s.cells and s.who for particles lo..hi−1 and returns −1 or the first bad
// particle.
func (s *ngpScatter) sort(n int, cells func(lo, hi int) int) int {
	if n > len(s.cells) {
		panic(fmt.Sprintf("data: chunk of %d particles, scatter sized for %d", n, len(s.cells)))
	}
	for w := range s.t { // shares ParallelFor leaves out (n < t) stay empty
		s.bad[w] = -1
		clear(s.starts[w])
	}
	ParallelFor(s.t, n, func(w, lo, hi int) {
		if s.bad[w] = cells(lo, hi); s.bad[w] >= 0 {
			return
		}
		// Counting sort of the share by owner: count, prefix sums, place.
		st, at := s.starts[w], s.at[w]
		clear(st)
		for _, o := range s.who[lo:hi] {
			st[o+1]++
		}
		st[0] = lo
		for o := 1; o <= s.t; o++ {
			st[o] += st[o-1]
		}
		copy(at, st)
		for q := lo; q < hi; q++ {
			o := s.who[q]
			s.sorted[at[o]] = s.cells[q]
			at[o]++
		}
	})
	for _, q := range s.bad {
		if q >= 0 {
			return q // the first share's first: the chunk's first bad particle
		}
	}
	return -1
}

// addCounts is the second phase: each worker adds 1 to grid at the cells
// of its planes, taken from every share of the chunk s sorted last.
func addCounts[G float32 | float64](grid []G, s *ngpScatter) {
	ParallelFor(s.t, s.m.N, func(o, _, _ int) {
		for w := range s.t {
			for _, c := range s.sorted[s.starts[w][o]:s.starts[w][o+1]] {
				grid[c]++
			}
		}
	})
}

// ngpCellChecked is floor(x / box · n) modulo n, evaluated in that order as
// the contract of `prepare` states it; ok is false for a non-finite x. The modulo
// is taken in float64, where it is exact, so any finite coordinate wraps
// correctly however far outside the box it lies.
func ngpCellChecked(x, box float64, n int) (c int, ok bool) {
	f := math.Floor(x / box * float64(n))
	if f-f != 0 {
		return 0, false
	}
	if f < 0 || f >= float64(n) {
		if f = math.Mod(f, float64(n)); f < 0 {
			f += float64(n)
		}
	}
	return int(f), true
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

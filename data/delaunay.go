// Delaunay triangulation in the plane by Bowyer–Watson insertion, on integer
// coordinates so that the orientation test is exact in int64 and the
// in-circle test exact through a float64 filter with a big.Int fallback:
// degenerate inputs such as lattices triangulate without inconsistency.

package data

import (
	"math"
	"math/big"
)

// Coordinates of points and of the enclosing super-triangle stay below
// 2^30 in magnitude, so differences fit 31 bits and orient's products int64.
const superCoord = 1 << 28

type triangle struct {
	v    [3]int32 // vertices, counter-clockwise
	nb   [3]int32 // nb[i]: the triangle across the edge opposite v[i], or −1
	dead bool
}

// delaunay is a triangulation of points x, y (vertices 0–2 are the
// super-triangle's).
type delaunay struct {
	x, y  []int64
	tri   []triangle
	free  []int32
	last  int32 // a live triangle where point location starts
	walk  uint32
	stack []int32
	mark  []uint32 // cavity visit stamp per triangle
	in    []bool   // whether a stamped triangle is in the cavity
	stamp uint32
	bound []boundaryEdge
	cav   []int32 // cavity triangles of the current insertion
	fan   []int32 // new triangles of the current insertion
}

type boundaryEdge struct {
	a, b  int32 // the edge, counter-clockwise as seen from the cavity
	outer int32 // the triangle beyond it, or −1
}

func newDelaunay(capacity int) *delaunay {
	d := &delaunay{
		x: make([]int64, 3, capacity+3), y: make([]int64, 3, capacity+3),
	}
	d.x[0], d.y[0] = -superCoord, -superCoord
	d.x[1], d.y[1] = 3*superCoord, -superCoord
	d.x[2], d.y[2] = -superCoord, 3*superCoord
	d.tri = append(d.tri, triangle{v: [3]int32{0, 1, 2}, nb: [3]int32{-1, -1, -1}})
	d.mark = append(d.mark, 0)
	d.in = append(d.in, false)
	return d
}

// orient is twice the signed area of (a, b, c): positive when
// counter-clockwise. Exact.
func (d *delaunay) orient(a, b, c int32) int64 {
	return (d.x[b]-d.x[a])*(d.y[c]-d.y[a]) - (d.y[b]-d.y[a])*(d.x[c]-d.x[a])
}

// incircle is positive when p lies strictly inside the circumcircle of the
// counter-clockwise triangle (a, b, c), zero on it, negative outside.
func (d *delaunay) incircle(a, b, c, p int32) int {
	adx, ady := float64(d.x[a]-d.x[p]), float64(d.y[a]-d.y[p])
	bdx, bdy := float64(d.x[b]-d.x[p]), float64(d.y[b]-d.y[p])
	cdx, cdy := float64(d.x[c]-d.x[p]), float64(d.y[c]-d.y[p])
	alift, blift, clift := adx*adx+ady*ady, bdx*bdx+bdy*bdy, cdx*cdx+cdy*cdy
	bc, ca, ab := bdx*cdy-cdx*bdy, cdx*ady-adx*cdy, adx*bdy-bdx*ady
	det := alift*bc + blift*ca + clift*ab
	perm := alift*(math.Abs(bdx*cdy)+math.Abs(cdx*bdy)) + blift*(math.Abs(cdx*ady)+math.Abs(adx*cdy)) +
		clift*(math.Abs(adx*bdy)+math.Abs(bdx*ady))
	const eps = 1.0 / (1 << 53)
	if bound := (10 + 96*eps) * eps * perm; det > bound {
		return 1
	} else if det < -bound {
		return -1
	}
	return d.incircleExact(a, b, c, p)
}

func (d *delaunay) incircleExact(a, b, c, p int32) int {
	diff := func(u, v int64) *big.Int { return big.NewInt(u - v) }
	adx, ady := diff(d.x[a], d.x[p]), diff(d.y[a], d.y[p])
	bdx, bdy := diff(d.x[b], d.x[p]), diff(d.y[b], d.y[p])
	cdx, cdy := diff(d.x[c], d.x[p]), diff(d.y[c], d.y[p])
	lift := func(u, v *big.Int) *big.Int {
		s := new(big.Int).Mul(u, u)
		return s.Add(s, new(big.Int).Mul(v, v))
	}
	cross := func(u1, v1, u2, v2 *big.Int) *big.Int {
		s := new(big.Int).Mul(u1, v2)
		return s.Sub(s, new(big.Int).Mul(u2, v1))
	}
	det := new(big.Int).Mul(lift(adx, ady), cross(bdx, bdy, cdx, cdy))
	det.Add(det, new(big.Int).Mul(lift(bdx, bdy), cross(cdx, cdy, adx, ady)))
	det.Add(det, new(big.Int).Mul(lift(cdx, cdy), cross(adx, ady, bdx, bdy)))
	return det.Sign()
}

// locate returns a live triangle containing point p (inside or on its
// boundary) by a visibility walk from the last triangle touched, testing the
// edges in a rotating order so that the walk cannot cycle.
func (d *delaunay) locate(p int32) int32 {
	t := d.last
	for {
		tr := &d.tri[t]
		d.walk++
		moved := false
		for k := range 3 {
			i := (int(d.walk) + k) % 3
			if d.orient(tr.v[(i+1)%3], tr.v[(i+2)%3], p) < 0 {
				t, moved = tr.nb[i], true
				break
			}
		}
		if !moved {
			return t
		}
	}
}

// insert adds point p (already in x, y) and returns −1, or, if p coincides
// with an existing vertex, that vertex (p is then not inserted).
func (d *delaunay) insert(p int32) int32 {
	t := d.locate(p)
	for _, v := range d.tri[t].v {
		if d.x[v] == d.x[p] && d.y[v] == d.y[p] {
			return v
		}
	}
	// The cavity: triangles whose circumcircle strictly contains p, found
	// by a search from t over neighbours; its boundary edges are those to
	// triangles outside it.
	d.stamp++
	d.bound = d.bound[:0]
	d.stack = append(d.stack[:0], t)
	d.mark[t], d.in[t] = d.stamp, true
	cavity := d.cav[:0]
	for len(d.stack) > 0 {
		c := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		cavity = append(cavity, c)
		tr := d.tri[c]
		for i := range 3 {
			n := tr.nb[i]
			if n >= 0 && d.mark[n] != d.stamp {
				nt := &d.tri[n]
				d.mark[n] = d.stamp
				d.in[n] = d.incircle(nt.v[0], nt.v[1], nt.v[2], p) > 0
				if d.in[n] {
					d.stack = append(d.stack, n)
				}
			}
			if n < 0 || !d.in[n] {
				d.bound = append(d.bound, boundaryEdge{tr.v[(i+1)%3], tr.v[(i+2)%3], n})
			}
		}
	}
	for _, c := range cavity {
		d.tri[c].dead = true
		d.free = append(d.free, c)
	}
	// Fan of new triangles (a, b, p); link each to the triangle beyond its
	// edge and to the fan neighbours sharing (b, p) and (p, a).
	d.cav = cavity
	newT := append(d.fan[:0], make([]int32, len(d.bound))...)
	d.fan = newT
	for k, e := range d.bound {
		nt := d.alloc(triangle{v: [3]int32{e.a, e.b, p}, nb: [3]int32{-1, -1, e.outer}})
		newT[k] = nt
		if e.outer >= 0 {
			o := &d.tri[e.outer]
			for i := range 3 {
				if o.v[(i+1)%3] == e.b && o.v[(i+2)%3] == e.a {
					o.nb[i] = nt
				}
			}
		}
	}
	for k, e := range d.bound {
		for l, f := range d.bound {
			if f.a == e.b { // (b, c, p) shares edge (b, p): opposite a
				d.tri[newT[k]].nb[0] = newT[l]
			}
			if f.b == e.a { // (z, a, p) shares edge (p, a): opposite b
				d.tri[newT[k]].nb[1] = newT[l]
			}
		}
	}
	d.last = newT[0]
	return -1
}

func (d *delaunay) alloc(t triangle) int32 {
	if n := len(d.free); n > 0 {
		i := d.free[n-1]
		d.free = d.free[:n-1]
		d.tri[i] = t
		return i
	}
	d.tri = append(d.tri, t)
	d.mark = append(d.mark, 0)
	d.in = append(d.in, false)
	return int32(len(d.tri) - 1)
}

// Training input (§2.2.2): crops at random positions of one large periodic
// field, each turned by a random element of the symmetry group of the square
// (8 elements) or the cube (48), so that a 256² or 256³ field yields every
// periodic sub-array at every orientation without storing any of them.

package data

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Field is a periodic grid: N×N (Dim 2) or N×N×N (Dim 3) values in row-major
// order, axis 0 slowest, so the value at (i, j, k) is Data[(i*N+j)*N+k].
type Field struct {
	Dim, N int
	Data   []float32
}

// FieldFromTensor wraps a square (N,N) or cubic (N,N,N) float32 tensor as a
// Field sharing its backing slice.
func FieldFromTensor(t *tensor.Dense) (*Field, error) {
	s := t.Shape()
	if (len(s) != 2 && len(s) != 3) || s[0] != s[1] || s[len(s)-1] != s[0] {
		return nil, fmt.Errorf("field: shape %v (%d-dimensional), want (N,N) or (N,N,N)", s, len(s))
	}
	if t.Dtype() != tensor.Float32 || t.RequiresIterator() {
		return nil, fmt.Errorf("field: want a contiguous float32 tensor, have %v of shape %v", t.Dtype(), s)
	}
	f := &Field{Dim: len(s), N: s[0], Data: t.Data().([]float32)}
	return f, f.Validate()
}

// Validate reports whether Dim is 2 or 3, N positive and Data of length N^Dim.
func (f *Field) Validate() error {
	if f.Dim != 2 && f.Dim != 3 {
		return fmt.Errorf("field: Dim %d, want 2 or 3", f.Dim)
	}
	if f.N <= 0 {
		return fmt.Errorf("field: N %d, want > 0", f.N)
	}
	if want := pow(f.N, f.Dim); len(f.Data) != want {
		return fmt.Errorf("field: %d values for N=%d, Dim=%d, want %d", len(f.Data), f.N, f.Dim, want)
	}
	return nil
}

// SymmetryCount is the order of the symmetry group of the hypercube of the
// given dimension, d!·2^d: 8 for the square, 48 for the cube.
func SymmetryCount(dim int) int {
	switch dim {
	case 2:
		return 8
	case 3:
		return 48
	}
	panic(fmt.Sprintf("data: symmetry group of dimension %d, want 2 or 3", dim))
}

// Axis permutations, identity first; sym = perm·2^Dim + flips.
var (
	perms2 = [2][3]int{{0, 1}, {1, 0}}
	perms3 = [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
)

// symmetry decodes sym into the crop axis each output axis reads and whether
// it reads it backwards. Element sym = p·2^Dim + m reads, along output axis a,
// crop axis perm_p[a], reversed when bit a of m is set. Element 0 is the
// identity.
func symmetry(dim, sym int) (perm [3]int, flip [3]bool) {
	g := SymmetryCount(dim)
	if sym < 0 || sym >= g {
		panic(fmt.Sprintf("data: symmetry element %d, want 0..%d", sym, g-1))
	}
	p, m := sym>>dim, sym&(1<<dim-1)
	if dim == 2 {
		perm = perms2[p]
	} else {
		perm = perms3[p]
	}
	for a := range dim {
		flip[a] = m>>a&1 == 1
	}
	return perm, flip
}

// Crop writes into dst (length size^Dim) the size^Dim block of f whose corner
// is origin (any integers; taken modulo N, so the block wraps around the
// periodic edges), transformed by symmetry element sym in [0,
// SymmetryCount(Dim)): output axis a runs along crop axis perm[a], reversed
// for a flipped axis (see symmetry). sym 0 copies the block unchanged.
// It allocates nothing. Arguments out of range are programming errors and
// panic.
func (f *Field) Crop(dst []float32, size int, origin []int, sym int) {
	d, n := f.Dim, f.N
	if size < 1 || size > n || len(origin) != d || len(dst) != pow(size, d) || len(f.Data) != pow(n, d) {
		// origin is not formatted: that would make it escape and cost an
		// allocation in RandomCrop.
		panic(fmt.Sprintf("data: Crop of size %d at a %d-axis origin into %d values from a field of Dim %d, N %d, %d values",
			size, len(origin), len(dst), d, n, len(f.Data)))
	}
	perm, flip := symmetry(d, sym)
	// For output axis a: source stride, first source coordinate, direction.
	var stride, start, step [3]int
	for a := range d {
		s := perm[a]
		stride[a] = pow(n, d-1-s)
		o := ((origin[s] % n) + n) % n
		if flip[a] {
			start[a], step[a] = (o+size-1)%n, -1
		} else {
			start[a], step[a] = o, 1
		}
	}
	if d == 2 {
		k := 0
		c0 := start[0]
		for range size {
			row := c0 * stride[0]
			k += line(dst[k:k+size], f.Data, row, start[1], step[1], stride[1], n)
			c0 = wrap(c0+step[0], n)
		}
		return
	}
	k := 0
	c0 := start[0]
	for range size {
		c1 := start[1]
		for range size {
			row := c0*stride[0] + c1*stride[1]
			k += line(dst[k:k+size], f.Data, row, start[2], step[2], stride[2], n)
			c1 = wrap(c1+step[1], n)
		}
		c0 = wrap(c0+step[0], n)
	}
}

// line fills dst with src[base + c*stride] for c = start, start+step, ...
// modulo n, and returns len(dst). A forward run along the contiguous axis is
// copied in at most two pieces.
func line(dst, src []float32, base, start, step, stride, n int) int {
	m := len(dst)
	if step == 1 && stride == 1 {
		first := min(m, n-start)
		copy(dst[:first], src[base+start:base+start+first])
		copy(dst[first:], src[base:base+m-first])
		return m
	}
	c := start
	for i := range dst {
		dst[i] = src[base+c*stride]
		c = wrap(c+step, n)
	}
	return m
}

func wrap(c, n int) int {
	if c == n {
		return 0
	}
	if c < 0 {
		return n - 1
	}
	return c
}

// RandomCrop is Crop at an origin drawn uniformly over all N^Dim positions
// and a symmetry drawn uniformly from the group. It draws, in this order,
// rng.IntN(N) for each axis 0..Dim-1, then rng.IntN(SymmetryCount(Dim)), so a
// stream restored with (*rand.PCG).UnmarshalBinary reproduces the same crops.
// It allocates nothing.
func (f *Field) RandomCrop(dst []float32, size int, rng *rand.Rand) {
	var o [3]int
	for a := range f.Dim {
		o[a] = rng.IntN(f.N)
	}
	f.Crop(dst, size, o[:f.Dim], rng.IntN(SymmetryCount(f.Dim)))
}

func pow(n, d int) int {
	p := 1
	for range d {
		p *= n
	}
	return p
}

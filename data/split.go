// Leak-free splits (§2.2.2 draws training crops at random positions of the
// full periodic field, which would put test pixels in training crops). Two
// schemes, chosen by the dataset:
//
//   - Independent realizations (simulated data): whole fields go to train,
//     validation or test; crops of a field wrap only within that field, so
//     no pixel is shared. Nothing to do here beyond keeping the lists apart.
//   - One snapshot: the field is cut into slabs along axis 0: test rows
//     [0, T), validation rows [T, T+V), training rows [T+V, N). A crop drawn
//     in a slab has its axis-0 origin in [lo, hi−size], so it never crosses
//     the slab's edges, not even through the periodic wrap at row N → 0;
//     along the other axes it wraps freely, which stays inside the slab.

package data

import (
	"fmt"
	"math/rand/v2"
)

// Slab is the rows [Lo, Hi) of axis 0 of a field.
type Slab struct{ Lo, Hi int }

// Split is the slab partition of one field.
type Split struct {
	Train, Validation, Test Slab
}

// SplitSlabs partitions a field of side n into test, validation and
// training slabs of the given fractions of n (the rest trains), each at
// least size rows so that a crop of that size fits; otherwise it is an error
// wrapping ErrBadInput.
func SplitSlabs(n, size int, testFrac, valFrac float64) (Split, error) {
	t := int(testFrac*float64(n) + 0.5)
	v := int(valFrac*float64(n) + 0.5)
	s := Split{Test: Slab{0, t}, Validation: Slab{t, t + v}, Train: Slab{t + v, n}}
	for _, c := range []struct {
		name string
		s    Slab
	}{{"test", s.Test}, {"validation", s.Validation}, {"training", s.Train}} {
		if c.s.Hi-c.s.Lo < size {
			return s, fmt.Errorf("split of a field of %d rows (test %.3g, validation %.3g): the %s slab has %d rows, want at least the crop size %d: %w",
				n, testFrac, valFrac, c.name, c.s.Hi-c.s.Lo, size, ErrBadInput)
		}
	}
	return s, nil
}

// RandomCropIn is RandomCrop restricted to a slab: the axis-0 origin is drawn
// uniformly from [Lo, Hi−size] (no wrap along axis 0), the other axes and the
// symmetry as in RandomCrop, in the same order of draws. It panics if the
// slab is thinner than size.
func (f *Field) RandomCropIn(dst []float32, size int, s Slab, rng *rand.Rand) {
	if s.Lo < 0 || s.Hi > f.N || s.Hi-s.Lo < size {
		panic(fmt.Sprintf("data: crop of %d rows in slab [%d, %d) of a field of %d", size, s.Lo, s.Hi, f.N))
	}
	var o [3]int
	o[0] = s.Lo + rng.IntN(s.Hi-s.Lo-size+1)
	for a := 1; a < f.Dim; a++ {
		o[a] = rng.IntN(f.N)
	}
	f.Crop(dst, size, o[:f.Dim], rng.IntN(SymmetryCount(f.Dim)))
}

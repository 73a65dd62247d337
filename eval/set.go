package eval

import (
	"fmt"
	"math"

	"github.com/cosmogan/cosmogan/data"
	"gorgonia.org/tensor"
)

// Set is M images (Dim 2) or cubes (Dim 3) of Side^Dim values each, stored
// one after another in C order in Data, in the space named by Transform.
// A Set is a view: it does not copy Data, which must not change while an
// estimator or a Reference uses it.
//
// Groups, when not nil, labels each image with the field (simulation or
// map) it was cut from: crops of one field are correlated, so the noise
// floors of a reference split it by field, and its collapse baseline looks
// for each crop's nearest neighbour among crops of other fields. Any ints
// serve as labels; equal labels mean the same field. Nil means unknown.
type Set struct {
	Data      []float32
	Count     int
	Side      int
	Dim       int
	Transform data.Transform
	Groups    []int
}

// NewSet views a float32 tensor of shape (M, N, N) or (M, N, N, N), whose
// values carry transform tr, as a Set. Shape errors wrap data.ErrBadInput.
func NewSet(t *tensor.Dense, tr data.Transform) (Set, error) {
	shape := []int(t.Shape())
	d, ok := t.Data().([]float32)
	if !ok {
		return Set{}, fmt.Errorf("tensor of %v, want float32: %w", t.Dtype(), data.ErrBadInput)
	}
	s := Set{Data: d, Dim: len(shape) - 1, Transform: tr}
	if len(shape) >= 2 {
		s.Count, s.Side = shape[0], shape[1]
	}
	if s.Dim != 2 && s.Dim != 3 {
		return Set{}, fmt.Errorf("shape %v, want (M, N, N) images or (M, N, N, N) cubes: %w", shape, data.ErrBadInput)
	}
	for _, n := range shape[2:] {
		if n != s.Side {
			return Set{}, fmt.Errorf("shape %v, want square images or cubic cubes (all sides equal): %w", shape, data.ErrBadInput)
		}
	}
	return s, s.check()
}

// Pixels is the number of values of one image or cube, Side^Dim.
func (s Set) Pixels() int {
	p := 1
	for range s.Dim {
		p *= s.Side
	}
	return p
}

// check reports a Set whose fields disagree or that the estimators cannot
// use: fewer than one image, a side under 4 (a peak needs an interior pixel
// and the spectrum at least two bins), an odd side (Eq. 8 bins ν up to N/2).
func (s Set) check() error {
	switch {
	case s.Dim != 2 && s.Dim != 3:
		return fmt.Errorf("dimension %d, want 2 (images) or 3 (cubes): %w", s.Dim, data.ErrBadInput)
	case s.Count < 1:
		return fmt.Errorf("%d images, want at least 1: %w", s.Count, data.ErrBadInput)
	case s.Side < 4 || s.Side%2 != 0:
		return fmt.Errorf("side %d, want an even side of at least 4 pixels: %w", s.Side, data.ErrBadInput)
	case len(s.Data) != s.Count*s.Pixels():
		return fmt.Errorf("%d values for %d images of %d^%d, want %d: %w", len(s.Data), s.Count, s.Side, s.Dim, s.Count*s.Pixels(), data.ErrBadInput)
	case s.Groups != nil && len(s.Groups) != s.Count:
		return fmt.Errorf("%d group labels for %d images, want one per image: %w", len(s.Groups), s.Count, data.ErrBadInput)
	}
	if !s.Transform.Valid() {
		return fmt.Errorf("invalid transform %v", s.Transform)
	}
	return nil
}

// sameGeometry reports sets that cannot be compared: another dimension or side.
func sameGeometry(a, b Set) error {
	if a.Dim != b.Dim || a.Side != b.Side {
		return fmt.Errorf("sets of %d^%d and %d^%d pixels, want the same shape: %w", a.Side, a.Dim, b.Side, b.Dim, data.ErrBadInput)
	}
	return nil
}

// density returns image i as linear density: Data itself when Transform is
// None, otherwise its inverse written into scratch (Pixels() long). It
// reports the first value that is not a finite density ≥ 0, naming the
// image and the pixel.
func (s Set) density(i int, scratch []float32) ([]float32, error) {
	p := s.Pixels()
	img := s.Data[i*p : (i+1)*p]
	if s.Transform != data.None {
		s.Transform.Inverse(scratch, img)
		img = scratch
	}
	for j, v := range img {
		if !(v >= 0 && v <= math.MaxFloat32) {
			return nil, fmt.Errorf("image %d, pixel %d: density %g (stored value %g, transform %v), want finite and >= 0: %w",
				i, j, v, s.Data[i*p+j], s.Transform, data.ErrBadInput)
		}
	}
	return img, nil
}

// logSpace is the transform of the networks' space, where the log-field
// spectrum and the nearest-neighbour distances are measured: the set's own
// transform, or for linear density the paper's transform for its
// dimension, Eq. 1 for images and Eq. 2 for cubes. Both are affine in
// ln ρ (Eq. 2 in ln(ρ + c)), so ratios of spectra and of distances are
// those of the log density, and are the same whichever transform the
// values of the set carry.
func (s Set) logSpace() data.Transform {
	switch {
	case s.Transform != data.None:
		return s.Transform
	case s.Dim == 2:
		return data.Eq1
	}
	return data.Eq2
}

// logField returns image i in the networks' space (see logSpace): Data
// itself when the set carries a transform, otherwise the transform of
// its density written into scratch. Call it after s.density(i, scratch),
// which checks the values: one buffer serves both, since only one of
// them is written to it.
func (s Set) logField(i int, scratch []float32) []float32 {
	p := s.Pixels()
	img := s.Data[i*p : (i+1)*p]
	if s.Transform != data.None {
		return img
	}
	s.logSpace().Forward(scratch, img)
	return scratch
}

// logValues returns every image of s in the networks' space, one after
// another: Data itself when the set carries a transform, otherwise a
// transformed copy. It checks the values as s.density does.
func logValues(s Set, threads int) ([]float32, error) {
	out := s.Data
	if s.Transform == data.None {
		out = make([]float32, len(s.Data))
	}
	p := s.Pixels()
	scratch := newScratch(s, threads)
	err := forEach(threads, s.Count, func(w, i int) error {
		img, err := s.density(i, scratch[w])
		if err == nil && s.Transform == data.None {
			s.logSpace().Forward(out[i*p:(i+1)*p], img)
		}
		return err
	})
	return out, err
}

// newScratch returns one buffer of an image per worker, for s.density and
// s.logField.
func newScratch(s Set, threads int) [][]float32 {
	bufs := make([][]float32, workers(threads, s.Count))
	for w := range bufs {
		bufs[w] = make([]float32, s.Pixels())
	}
	return bufs
}

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
type Set struct {
	Data      []float32
	Count     int
	Side      int
	Dim       int
	Transform data.Transform
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

// newScratch returns one density buffer per worker for s.density; none are
// needed when the values are already densities.
func newScratch(s Set, threads int) [][]float32 {
	bufs := make([][]float32, workers(threads, s.Count))
	if s.Transform != data.None {
		for w := range bufs {
			bufs[w] = make([]float32, s.Pixels())
		}
	}
	return bufs
}

// The `prepare` pipeline (§2.2.1): particles → NGP/CIC grid (or 2D DTFE) →
// log-like transform → strided Gaussian smoothing, with each step validated
// so that bad input is reported before anything is written.

package data

import (
	"fmt"
	"math"
)

// PrepareOptions says how particles become a field.
type PrepareOptions struct {
	Grid      int       // cells per axis of the assignment grid
	Scheme    Scheme    // NGP, CIC or DTFE (2D only)
	Transform Transform // applied to the assigned density, before smoothing
	Sigma     float64   // Gaussian σ in pixels of the assignment grid; 0: none
	Stride    int       // keep every stride-th pixel per axis; Grid must divide by it
	Threads   int       // 0: all cores
	Chunk     int       // particles read at a time; 0: DefaultChunk
}

// Check validates the options for particles of dimension dim.
func (o PrepareOptions) Check(dim int) error {
	switch {
	case o.Grid < 1:
		return fmt.Errorf("grid %d, want >= 1: %w", o.Grid, ErrBadInput)
	case o.Stride < 1 || o.Grid%o.Stride != 0:
		return fmt.Errorf("grid %d is not divisible by stride %d: %w", o.Grid, o.Stride, ErrBadInput)
	case !(o.Sigma >= 0) || math.IsInf(o.Sigma, 0):
		return fmt.Errorf("smoothing sigma %g, want a finite value >= 0: %w", o.Sigma, ErrBadInput)
	case o.Scheme == DTFE && dim != 2:
		return fmt.Errorf("dtfe assignment of %dD particles, want 2D (n, 2) positions: %w", dim, ErrBadInput)
	case o.Scheme != NGP && o.Scheme != CIC && o.Scheme != DTFE:
		return fmt.Errorf("assignment %v, want ngp, cic or dtfe: %w", o.Scheme, ErrBadInput)
	case o.Transform < None || o.Transform > Eq2:
		return fmt.Errorf("transform %v, want none, eq1 or eq2: %w", o.Transform, ErrBadInput)
	}
	return nil
}

// Prepare assigns the particles of p to a Grid^Dim field (particles per
// pixel), applies the transform and then the strided smoothing of
// SmoothStride. Peak memory is the grid, one chunk of particles and the
// smoothing's output (for DTFE in 2D, all particles).
func Prepare(p Particles, o PrepareOptions) (*Field, error) {
	d := p.Dim()
	if err := o.Check(d); err != nil {
		return nil, err
	}
	if o.Chunk <= 0 {
		o.Chunk = DefaultChunk
	}
	m := Mesh{Dim: d, N: o.Grid, Box: p.Box()}
	f := &Field{Dim: d, N: o.Grid}
	if o.Scheme == DTFE {
		all := make([]float64, 0, 2*p.Count())
		if err := p.Each(o.Chunk, func(pos []float64) error { all = append(all, pos...); return nil }); err != nil {
			return nil, err
		}
		rho, err := DTFE2D(all, m, o.Threads)
		if err != nil {
			return nil, err
		}
		f.Data = rho
	} else {
		f.Data = make([]float32, pow(o.Grid, d))
		if err := p.Each(o.Chunk, func(pos []float64) error { Deposit(f.Data, m, o.Scheme, pos, o.Threads); return nil }); err != nil {
			return nil, err
		}
	}
	return Finish(f, o)
}

// Finish applies the transform and the strided smoothing of o to a field of
// linear density (ppp), which must hold no NaN or negative value; f's data is
// overwritten by the transform. It is the second half of Prepare, for a
// density grid that already exists.
func Finish(f *Field, o PrepareOptions) (*Field, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrBadInput)
	}
	if f.N%o.Stride != 0 || o.Stride < 1 {
		return nil, fmt.Errorf("grid %d is not divisible by stride %d: %w", f.N, o.Stride, ErrBadInput)
	}
	if i := firstBadDensity(f.Data, o.Threads); i >= 0 {
		return nil, fmt.Errorf("density %v at flat index %d, want finite and >= 0: %w", f.Data[i], i, ErrBadInput)
	}
	ParallelFor(o.Threads, len(f.Data), func(_, lo, hi int) {
		o.Transform.Forward(f.Data[lo:hi], f.Data[lo:hi])
	})
	if o.Sigma == 0 && o.Stride == 1 {
		return f, nil
	}
	return SmoothStride(f, o.Sigma, o.Stride, o.Threads)
}

// firstBadDensity returns the index of the first NaN, infinite or negative
// value, or −1.
func firstBadDensity(v []float32, threads int) int {
	first := make([]int, Threads(threads))
	for w := range first {
		first[w] = -1
	}
	ParallelFor(len(first), len(v), func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			if x := v[i]; !(x >= 0) || x > math.MaxFloat32 {
				first[w] = i
				return
			}
		}
	})
	for _, i := range first {
		if i >= 0 {
			return i
		}
	}
	return -1
}

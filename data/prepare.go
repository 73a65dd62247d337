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
	case o.Scheme == DTFE && dim != 2:
		return fmt.Errorf("dtfe assignment of %dD particles, want 2D (n, 2) positions: %w", dim, ErrBadInput)
	case o.Scheme != NGP && o.Scheme != CIC && o.Scheme != DTFE:
		return fmt.Errorf("assignment %v, want ngp, cic or dtfe: %w", o.Scheme, ErrBadInput)
	}
	return o.checkFinish(o.Grid)
}

// checkFinish checks what Finish does to a grid of side n: the transform,
// then the smoothing.
func (o PrepareOptions) checkFinish(n int) error {
	if !o.Transform.Valid() {
		return fmt.Errorf("transform %v, want none, eq1 or eq2: %w", o.Transform, ErrBadInput)
	}
	return checkSmoothing(n, o.Sigma, o.Stride)
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
	o.Chunk = int(min(int64(o.Chunk), max(p.Count(), 1))) // no buffer larger than the input
	m := Mesh{Dim: d, N: o.Grid, Box: p.Box()}
	f := &Field{Dim: d, N: o.Grid}
	if o.Scheme == DTFE {
		all := make([]float64, 0, 2*p.Count())
		if err := p.Each(o.Chunk, func(pos []float64) error { all = append(all, pos...); return nil }); err != nil {
			return nil, err
		}
		rho, err := Assign(m, DTFE, all, o.Threads)
		if err != nil {
			return nil, err
		}
		f.Data = rho
		return Finish(f, o)
	}
	f.Data = make([]float32, pow(o.Grid, d))
	prefault(f.Data, o.Threads)
	var err error
	if o.Scheme == NGP {
		err = depositNGP(f.Data, m, p, o.Chunk, o.Threads)
	} else {
		err = p.Each(o.Chunk, func(pos []float64) error { Deposit(f.Data, m, o.Scheme, pos, o.Threads); return nil })
	}
	if err != nil {
		return nil, err
	}
	return finish(f, o), nil // counts and CIC weights are finite and >= 0
}

// prefault writes a zero into every 4 KiB page of a freshly allocated grid,
// in parallel. Otherwise the first increment of a cell reads an untouched
// page (which maps the shared zero page) and then writes it (a second
// fault, copying the page and flushing the other cores' TLBs): for 384³,
// 123k page faults instead of 67k, and `prepare` took twice as long.
func prefault(g []float32, threads int) {
	ParallelFor(threads, len(g), func(_, lo, hi int) {
		for i := lo; i < hi; i += 1024 {
			g[i] = 0
		}
	})
}

// depositNGP adds the NGP counts of the particles of p to grid, a chunk of
// particles at a time. Little-endian float32 positions, what GADGET-2 and
// numpy write on x86, go from the file's bytes to cells without a decoded
// copy (see rawChunk.float32s); other formats are decoded to float64 first.
func depositNGP(grid []float32, m Mesh, p Particles, chunk, threads int) error {
	sc := newNGPScatter(m, threads, chunk)
	rp, ok := p.(rawParticles)
	if !ok {
		return p.Each(chunk, func(pos []float64) error {
			if q := sortCells(sc, pos); q >= 0 {
				return fmt.Errorf("%s: particle at %v, want finite coordinates: %w", p.Describe(), pos[q*m.Dim:(q+1)*m.Dim], ErrBadInput)
			}
			addCounts(grid, sc)
			return nil
		})
	}
	var pos []float64
	return rp.eachRaw(chunk, func(c rawChunk) error {
		var q int
		if f := c.float32s(); f != nil {
			q = sortCells(sc, f)
		} else {
			if pos == nil {
				pos = make([]float64, m.Dim*chunk)
			}
			if err := c.decode(pos[:len(c.b)/c.width]); err != nil {
				return err
			}
			q = sortCells(sc, pos[:len(c.b)/c.width])
		}
		if q >= 0 {
			return badParticle(c, q)
		}
		addCounts(grid, sc)
		return nil
	})
}

// badParticle is the error for particle q of c, which has no cell: a
// non-finite coordinate (or one so large that x / box · n overflows).
func badParticle(c rawChunk, q int) error {
	var p [3]float64
	rec := c.b[q*c.dim*c.width : (q+1)*c.dim*c.width]
	if err := decodeFloats(p[:c.dim], rec, c.order, c.width); err != nil {
		i := err.(badFloat).index
		return c.bad(q*c.dim+i, p[i])
	}
	return c.bad(q*c.dim, p[0])
}

// Finish applies the transform and the strided smoothing of o to a field of
// linear density (ppp), which must hold no NaN or negative value; f's data is
// overwritten by the transform. It is the second half of Prepare, for a
// density grid that already exists.
func Finish(f *Field, o PrepareOptions) (*Field, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrBadInput)
	}
	if err := o.checkFinish(f.N); err != nil {
		return nil, err
	}
	if i := firstBadDensity(f.Data, o.Threads); i >= 0 {
		return nil, fmt.Errorf("density %v at flat index %d, want finite and >= 0: %w", f.Data[i], i, ErrBadInput)
	}
	return finish(f, o), nil
}

// finish is Finish for a valid field of valid densities. The transform runs
// inside the smoothing, on each slab just before it is first filtered (see
// smoothStride).
func finish(f *Field, o PrepareOptions) *Field {
	slab := len(f.Data) / f.N
	transform := func(lo, hi int) {
		o.Transform.Forward(f.Data[lo*slab:hi*slab], f.Data[lo*slab:hi*slab])
	}
	if o.Sigma == 0 && o.Stride == 1 {
		ParallelFor(o.Threads, f.N, func(_, lo, hi int) { transform(lo, hi) })
		return f
	}
	return smoothStride(f, o.Sigma, o.Stride, o.Threads, transform)
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

// PrepareMeta is the provenance sidecar of a prepared field.
type PrepareMeta struct {
	Inputs      []InputFile `json:"inputs"`
	Source      string      `json:"source"`    // what the inputs are
	Particles   int64       `json:"particles"` // particles assigned; 0 for a density grid input
	Box         float64     `json:"box"`       // box side, in the unit of the positions
	Grid        int         `json:"grid"`      // assignment grid, before the stride
	Assign      string      `json:"assign"`
	Transform   string      `json:"transform"`
	Sigma       float64     `json:"smooth_sigma_pixels"`
	Stride      int         `json:"stride"`
	Shape       []int       `json:"shape"`
	Axes        string      `json:"axes"`
	CodeVersion string      `json:"code_version"`
}

// PrepareFile runs Prepare and writes the field to out (.npy) with its
// PrepareMeta sidecar (MetaPath(out)). The inputs are hashed while the
// particles are assigned. Nothing is written if anything fails.
func PrepareFile(out string, p Particles, o PrepareOptions) (*Field, error) {
	hashes := hashAll(p.Inputs())
	f, err := Prepare(p, o)
	inputs, herr := hashes()
	if err != nil {
		return nil, err
	}
	if herr != nil {
		return nil, herr
	}
	meta := newMeta(inputs, p.Describe(), p.Count(), p.Box(), o, f)
	return f, WriteArray(out, f.Shape(), f.Data, meta)
}

// FinishFile applies Finish to the density grid in the .npy file in (ppp,
// (N, N) or (N, N, N)) and writes the result to out with its sidecar.
func FinishFile(out, in string, o PrepareOptions) (*Field, error) {
	t, err := ReadNPY(in)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrBadInput)
	}
	f, err := FieldFromTensor(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", in, err, ErrBadInput)
	}
	hashes := hashAll([]string{in})
	g, err := Finish(f, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	inputs, err := hashes()
	if err != nil {
		return nil, err
	}
	o.Grid, o.Scheme = f.N, -1
	meta := newMeta(inputs, "density grid (.npy)", 0, 0, o, g)
	return g, WriteArray(out, g.Shape(), g.Data, meta)
}

func newMeta(inputs []InputFile, source string, n int64, box float64, o PrepareOptions, f *Field) PrepareMeta {
	assign := o.Scheme.String()
	if o.Scheme < 0 {
		assign = "none (density grid input)"
	}
	return PrepareMeta{
		Inputs: inputs, Source: source, Particles: n, Box: box, Grid: o.Grid, Assign: assign,
		Transform: o.Transform.String(), Sigma: o.Sigma, Stride: o.Stride, Shape: f.Shape(),
		Axes: "axis a is coordinate a: cell floor(x_a / box · grid), then every stride-th cell", CodeVersion: CodeVersion(),
	}
}

// hashAll hashes the files on a goroutine; the returned function waits for
// the result.
func hashAll(paths []string) func() ([]InputFile, error) {
	type result struct {
		files []InputFile
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		for _, p := range paths {
			h, err := HashFile(p)
			if err != nil {
				r.err = err
				break
			}
			r.files = append(r.files, h)
		}
		ch <- r
	}()
	return func() ([]InputFile, error) { r := <-ch; return r.files, r.err }
}

// Package codec encodes and decodes fields with a trained autoencoder (§3.2
// and §4.3 of Ullmo, Decelle & Aghanim 2021): the encoder E maps a field, or
// each tile of a larger one, to its latent vector, and the generator G maps a
// latent vector back to a field. It is what `cosmogan encode`, `decode` and
// `reconstruct` run.
//
// Units. The networks were trained on fields in units of the mean density of
// their simulation box, ρ/ρ̄ (each simulated field divided by its own mean,
// the mean of the whole periodic box), then transformed with the checkpoint's
// transform (Eq. 1 in 2D, Eq. 2 in 3D). A field in the Density space must be in
// those units: density divided by the mean density of the whole simulation box
// it was cut from. A crop must not be divided by its own mean, which is not ρ̄
// (a crop of a void has a mean far below it). Fields in the Transformed space
// are already in the networks' space, as `cosmogan crops` writes them.
//
// Tiles. Fields larger than the network's side N are cut, with tiling, into
// non-overlapping tiles of side N (the side must be a multiple of N); each
// tile is one latent vector, and a Tiling records which field and tile each
// vector is, so that decoding reassembles the fields.
package codec

import (
	"fmt"
	"math"
	"strings"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// Space says what the values of fields are.
type Space int

const (
	// Density is linear density in units of the mean density of the
	// simulation box, ρ/ρ̄.
	Density Space = iota
	// Transformed is the networks' space: density after the checkpoint's
	// transform.
	Transformed
)

// ParseSpace reads "density" or "transformed".
func ParseSpace(s string) (Space, error) {
	for _, sp := range []Space{Density, Transformed} {
		if s == sp.String() {
			return sp, nil
		}
	}
	return 0, fmt.Errorf("space %q: want density or transformed: %w", s, data.ErrBadInput)
}

// String returns the name ParseSpace accepts.
func (s Space) String() string {
	if s == Transformed {
		return "transformed"
	}
	return "density"
}

// Options say how fields are encoded and decoded.
type Options struct {
	// Space is what the values of the fields are, those encoded and those
	// decoded alike.
	Space Space
	// Tile cuts fields larger than the network's side into tiles of its side.
	Tile bool
	// Progress, if not nil, is called after every batch of latent vectors
	// with what is done ("encoded" or "decoded") and how many vectors of how
	// many.
	Progress func(what string, done, total int)
}

func (o Options) progress(what string, done, total int) {
	if o.Progress != nil {
		o.Progress(what, done, total)
	}
}

// Model is a trained autoencoder: the encoder E and the generator G of a
// checkpoint, with the transform of the fields they were trained on. Its
// methods run on a team of worker threads and must not be called
// concurrently.
type Model struct {
	Path      string // the checkpoint file
	Arch      model.Arch
	Transform data.Transform
	E, G      *model.Net

	team *kernels.Team
	ws   *model.Workspace
}

// Close stops the model's worker threads.
func (m *Model) Close() { m.team.Close() }

// Encode returns the latent vectors of the fields: one per field, or with
// opt.Tile one per tile, field after field and, within a field, tiles in C
// order of their origins. Fields in the Density space are transformed first
// (values below the transform's floor are clamped as in training). Nothing is
// computed unless every value is valid.
func (m *Model) Encode(f Fields, opt Options) (Latent, error) {
	g, err := m.grid(f, opt.Tile)
	if err != nil {
		return Latent{}, err
	}
	if err := checkValues(f, opt.Space); err != nil {
		return Latent{}, err
	}
	per := g.perField()
	rows := f.Count() * per
	width, vol := m.Arch.Latent, g.tileVolume()
	l := Latent{Width: width, Data: make([]float32, rows*width)}
	if opt.Tile {
		l.Tiles = g.tiling(f.Count())
	}
	buf := make([]float32, model.InferChunk*vol)
	fieldVol := f.volume()
	m.E.Infer(m.ws, rows, func(lo, hi int) []float32 {
		x := buf[:(hi-lo)*vol]
		for r := lo; r < hi; r++ {
			field := f.Data[r/per*fieldVol:][:fieldVol]
			g.move(field, x[(r-lo)*vol:][:vol], r%per, true)
		}
		if opt.Space == Density {
			m.Transform.Forward(x, x)
		}
		return x
	}, func(lo, hi int, z []float32) {
		copy(l.Data[lo*width:], z)
		opt.progress("encoded", hi, rows)
	})
	return l, nil
}

// Decode returns the fields the latent vectors decode to: one field of the
// network's side per vector, or the fields their tiling reassembles. With the
// Density space, G's output is taken back through the inverse transform.
func (m *Model) Decode(l Latent, opt Options) (Fields, error) {
	if l.Width != m.Arch.Latent {
		return Fields{}, fmt.Errorf("latent vectors of width %d, the networks of %s take %d: %w", l.Width, m.Path, m.Arch.Latent, data.ErrBadInput)
	}
	if len(l.Data) == 0 || len(l.Data)%l.Width != 0 {
		return Fields{}, fmt.Errorf("%d latent values: want a positive whole number of vectors of %d: %w", len(l.Data), l.Width, data.ErrBadInput)
	}
	rows := l.Rows()
	for i, v := range l.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Fields{}, fmt.Errorf("latent vector %d, entry %d: value %g: want finite values: %w", i/l.Width, i%l.Width, v, data.ErrBadInput)
		}
	}
	g := grid{dim: m.Arch.Dim, n: m.Arch.Size, s: m.Arch.Size}
	count := rows
	tileOf := func(r int) (field, t int) { return r, 0 }
	if l.Tiles != nil {
		tl := l.Tiles
		if err := tl.check(rows); err != nil {
			return Fields{}, err
		}
		if tl.Dim != m.Arch.Dim || tl.Tile != m.Arch.Size {
			return Fields{}, fmt.Errorf("tiling of %dD tiles of side %d, the networks of %s make %dD fields of side %d: the vectors were encoded with another model: %w",
				tl.Dim, tl.Tile, m.Path, m.Arch.Dim, m.Arch.Size, data.ErrBadInput)
		}
		g.n, count = tl.FieldSide, tl.Fields
		tileOf = func(r int) (int, int) { return tl.Rows[r].Field, g.index(tl.Rows[r].Origin) }
	}
	f := Fields{Dim: g.dim, Side: g.n}
	fieldVol, vol := f.volume(), g.tileVolume()
	f.Data = make([]float32, count*fieldVol)
	m.G.Infer(m.ws, rows, func(lo, hi int) []float32 { return l.Data[lo*l.Width : hi*l.Width] },
		func(lo, hi int, y []float32) {
			for r := lo; r < hi; r++ {
				field, t := tileOf(r)
				g.move(f.Data[field*fieldVol:][:fieldVol], y[(r-lo)*vol:][:vol], t, false)
			}
			opt.progress("decoded", hi, rows)
		})
	if opt.Space == Density {
		m.Transform.Inverse(f.Data, f.Data)
	}
	return f, nil
}

// Reconstruct returns G(E(x)) of the fields (of each tile, with opt.Tile),
// in the space of the input.
func (m *Model) Reconstruct(f Fields, opt Options) (Fields, error) {
	l, err := m.Encode(f, opt)
	if err != nil {
		return Fields{}, err
	}
	return m.Decode(l, opt)
}

// grid returns the tiling of fields f by the network's side, checking that
// the fields fit the network.
func (m *Model) grid(f Fields, tile bool) (grid, error) {
	s := m.Arch.Size
	switch {
	case f.Side < 1 || (f.Dim != 2 && f.Dim != 3) || len(f.Data) == 0 || len(f.Data)%f.volume() != 0:
		return grid{}, fmt.Errorf("%d values of fields of side %d in %d dimensions: want a positive whole number of 2D or 3D fields: %w", len(f.Data), f.Side, f.Dim, data.ErrBadInput)
	case f.Dim != m.Arch.Dim:
		return grid{}, fmt.Errorf("%dD fields %s, the networks of %s take %dD fields of side %d: %w", f.Dim, tuple(f.shape()), m.Path, m.Arch.Dim, s, data.ErrBadInput)
	case tile && f.Side%s != 0:
		return grid{}, fmt.Errorf("fields %s: side %d is not a multiple of the network's side %d, so tiles of side %d cannot cover a field without overlaps or gaps; cut or pad the fields to a multiple of %d: %w",
			tuple(f.shape()), f.Side, s, s, s, data.ErrBadInput)
	case !tile && f.Side != s:
		hint := ""
		if f.Side%s == 0 {
			hint = fmt.Sprintf(" (or cut each field into %d tiles of side %d: --tile)", gridVolume(f.Side/s, f.Dim), s)
		}
		return grid{}, fmt.Errorf("fields %s: side %d, the networks of %s take side %d%s: %w", tuple(f.shape()), f.Side, m.Path, s, hint, data.ErrBadInput)
	}
	return grid{dim: f.Dim, n: f.Side, s: s}, nil
}

// checkValues refuses fields with a value that is not finite or, in the
// Density space, negative, naming the first one.
func checkValues(f Fields, space Space) error {
	for i, v := range f.Data {
		var want string
		switch {
		case math.IsNaN(float64(v)) || math.IsInf(float64(v), 0):
			want = "want finite values"
		case v < 0 && space == Density:
			want = "want a density ≥ 0 in units of the box's mean density, ρ/ρ̄ (not the contrast ρ/ρ̄ − 1; values already transformed need --space transformed)"
		default:
			continue
		}
		return fmt.Errorf("field %d at index %s: value %g: %s: %w", i/f.volume(), tuple(f.index(i%f.volume())), v, want, data.ErrBadInput)
	}
	return nil
}

// gridVolume is the number of values of a grid of side n in dim (2 or 3)
// dimensions.
func gridVolume(n, dim int) int {
	if dim == 3 {
		return n * n * n
	}
	return n * n
}

// tuple writes an array shape as NumPy does: (3, 64, 64).
func tuple(shape []int) string {
	s := fmt.Sprint(shape)
	return "(" + strings.ReplaceAll(s[1:len(s)-1], " ", ", ") + ")"
}

package codec

import (
	"fmt"
	"slices"

	"github.com/cosmogan/cosmogan/data"
)

// Fields is a set of fields of one side in 2 or 3 dimensions: Count() fields
// of Side^Dim values each, one after the other in C order, as an .npy of shape
// (n, Side, Side) or (n, Side, Side, Side) holds them.
type Fields struct {
	Dim, Side int
	Data      []float32
}

// volume is the number of values of one field.
func (f Fields) volume() int { return gridVolume(f.Side, f.Dim) }

// Count is the number of fields.
func (f Fields) Count() int { return len(f.Data) / f.volume() }

// shape is the .npy shape of the fields.
func (f Fields) shape() []int {
	s := []int{f.Count()}
	for range f.Dim {
		s = append(s, f.Side)
	}
	return s
}

// index is the position, axis after axis, of value i of a field.
func (f Fields) index(i int) []int {
	idx := make([]int, f.Dim)
	for a := f.Dim - 1; a >= 0; a-- {
		idx[a], i = i%f.Side, i/f.Side
	}
	return idx
}

// Latent is the latent vectors of a set of fields: Rows() vectors of Width
// values each, and for tiled fields where each vector's tile lies.
type Latent struct {
	Width int
	Data  []float32
	Tiles *Tiling // nil: vector i is field i, of the network's side
}

// Rows is the number of latent vectors.
func (l Latent) Rows() int { return len(l.Data) / l.Width }

// Tiling says which tile of which field each latent vector encodes: what the
// LATENT.meta.json beside a latent file holds.
type Tiling struct {
	Dim       int    `json:"dim"`
	FieldSide int    `json:"field_side"` // side of the fields
	Tile      int    `json:"tile"`       // side of a tile: the network's
	Fields    int    `json:"fields"`     // number of fields
	Rows      []Tile `json:"rows"`       // the tile of each latent vector, in order
}

// Tile is where one latent vector's tile lies.
type Tile struct {
	Field  int   `json:"field"`  // index of the field in the fields file
	Origin []int `json:"origin"` // index of the tile's first value in the field, axis after axis
}

// check verifies that the tiling is complete and consistent for rows latent
// vectors: every tile of every field exactly once, at origins on the grid of
// tiles.
func (tl *Tiling) check(rows int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("tiling: "+format+": %w", append(args, data.ErrBadInput)...)
	}
	if len(tl.Rows) != rows {
		return bad("%d tiles for %d latent vectors: the latent file and its tiling do not belong together", len(tl.Rows), rows)
	}
	if tl.Dim != 2 && tl.Dim != 3 {
		return bad("dim %d, want 2 or 3", tl.Dim)
	}
	if tl.Tile < 1 || tl.FieldSide < tl.Tile || tl.FieldSide%tl.Tile != 0 {
		return bad("field_side %d, tile %d: want a field side that is a multiple of the tile side", tl.FieldSide, tl.Tile)
	}
	// Count the tiles per field without overflowing: a complete tiling has
	// no more than rows of them.
	k, per := tl.FieldSide/tl.Tile, 1
	for range tl.Dim {
		if per > rows/k {
			return bad("fields of side %d hold more tiles of side %d than the %d latent vectors", tl.FieldSide, tl.Tile, rows)
		}
		per *= k
	}
	if tl.Fields < 1 || tl.Fields != rows/per || rows%per != 0 {
		return bad("%d fields of %d tiles each, but %d latent vectors", tl.Fields, per, rows)
	}
	g := grid{dim: tl.Dim, n: tl.FieldSide, s: tl.Tile}
	seen := make([]bool, rows)
	for i, r := range tl.Rows {
		if r.Field < 0 || r.Field >= tl.Fields || len(r.Origin) != tl.Dim || slices.ContainsFunc(r.Origin, func(o int) bool {
			return o < 0 || o >= tl.FieldSide || o%tl.Tile != 0
		}) {
			return bad("row %d: field %d, origin %v: want a field from 0 to %d and %d origins that are multiples of %d below %d",
				i, r.Field, r.Origin, tl.Fields-1, tl.Dim, tl.Tile, tl.FieldSide)
		}
		j := r.Field*per + g.index(r.Origin)
		if seen[j] {
			return bad("row %d: tile %v of field %d appears twice", i, r.Origin, r.Field)
		}
		seen[j] = true
	}
	return nil
}

// grid is the cutting of fields of side n in dim dimensions into tiles of
// side s, which divides n. Tile t of a field is the one whose origin, axis
// after axis, is s times the digits of t in base n/s.
type grid struct{ dim, n, s int }

func (g grid) perField() int   { return gridVolume(g.n/g.s, g.dim) }
func (g grid) tileVolume() int { return gridVolume(g.s, g.dim) }

// origin is the index of the first value of tile t, axis after axis.
func (g grid) origin(t int) []int {
	k := g.n / g.s
	o := make([]int, g.dim)
	for a := g.dim - 1; a >= 0; a-- {
		o[a], t = t%k*g.s, t/k
	}
	return o
}

// index is the tile whose first value is at origin (inverse of origin).
func (g grid) index(origin []int) int {
	t := 0
	for _, o := range origin {
		t = t*(g.n/g.s) + o/g.s
	}
	return t
}

// tiling records the tiles of count fields in the order Encode makes them.
func (g grid) tiling(count int) *Tiling {
	per := g.perField()
	tl := &Tiling{Dim: g.dim, FieldSide: g.n, Tile: g.s, Fields: count, Rows: make([]Tile, 0, count*per)}
	for f := range count {
		for t := range per {
			tl.Rows = append(tl.Rows, Tile{Field: f, Origin: g.origin(t)})
		}
	}
	return tl
}

// move copies tile t of field into tile (toTile), or back.
func (g grid) move(field, tile []float32, t int, toTile bool) {
	o := g.origin(t)
	if g.dim == 2 {
		o = append([]int{0}, o...) // one plane
	}
	depth := 1
	if g.dim == 3 {
		depth = g.s
	}
	for z := range depth {
		for y := range g.s {
			f := ((o[0]+z)*g.n+o[1]+y)*g.n + o[2]
			x := (z*g.s + y) * g.s
			if toTile {
				copy(tile[x:x+g.s], field[f:f+g.s])
			} else {
				copy(field[f:f+g.s], tile[x:x+g.s])
			}
		}
	}
}

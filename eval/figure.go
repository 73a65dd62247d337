// Figures for the report: grids of density maps, e.g. test images on the top
// row and generated ones below (Figs. 2 and 3 of the paper), written as PNG.
// Captions and axis labels belong to report.html; the PNG holds pixels only.

package eval

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// Colormap maps [0, 1] to a colour.
type Colormap int

const (
	// Grey runs from black (0) to white (1).
	Grey Colormap = iota
	// Viridis is matplotlib's perceptually uniform map, dark purple (0) to
	// yellow (1), interpolated linearly between 11 of its colours.
	Viridis
)

// viridis holds viridis at 0, 0.1, ..., 1 (matplotlib's values, as
// viridisLite::viridis(11) lists them).
var viridis = [11][3]uint8{
	{0x44, 0x01, 0x54}, {0x48, 0x25, 0x76}, {0x41, 0x44, 0x87}, {0x35, 0x60, 0x8d},
	{0x2a, 0x78, 0x8e}, {0x21, 0x90, 0x8c}, {0x22, 0xa8, 0x84}, {0x43, 0xbf, 0x71},
	{0x7a, 0xd1, 0x51}, {0xbb, 0xdf, 0x27}, {0xfd, 0xe7, 0x25},
}

// NaNColor marks NaN values, so that a broken generator is visible at a glance.
var NaNColor = color.NRGBA{255, 0, 0, 255}

// GapColor fills the gaps between panels and empty panel slots.
var GapColor = color.NRGBA{255, 255, 255, 255}

// Gap is the width in pixels of the space between neighbouring panels.
const Gap = 2

func (c Colormap) at(t float64) color.NRGBA {
	switch c {
	case Grey:
		g := uint8(math.Round(255 * t))
		return color.NRGBA{g, g, g, 255}
	case Viridis:
		x := t * float64(len(viridis)-1)
		i := min(int(x), len(viridis)-2)
		f := x - float64(i)
		var rgb [3]uint8
		for ch := range 3 {
			a, b := float64(viridis[i][ch]), float64(viridis[i+1][ch])
			rgb[ch] = uint8(math.Round(a + f*(b-a)))
		}
		return color.NRGBA{rgb[0], rgb[1], rgb[2], 255}
	}
	panic(fmt.Sprintf("eval: unknown colormap %d", int(c)))
}

// Grid is a figure of square panels in rows, e.g. Rows[0] real images and
// Rows[1] generated ones. Panels are separated by Gap pixels of GapColor.
type Grid struct {
	// Size is the side of every panel in values: a panel is Size*Size
	// float32s, row-major, value [y*Size+x] drawn at column x, row y from
	// the top. For a cube pass CentralSlice.
	Size int
	// Rows[r][c] is the panel in row r, column c. Rows may differ in
	// length; the figure is as wide as the longest. A nil panel is left
	// blank.
	Rows [][][]float32
	// Lo and Hi are the values drawn as the two ends of the colormap;
	// values between map linearly, values outside are clipped. Use the same
	// range for every panel you want compared.
	Lo, Hi float32
	// Colormap colours the values; the zero value is Grey.
	Colormap Colormap
	// Scale draws each value as Scale×Scale pixels; 0 means 1.
	Scale int
}

// Image renders the grid.
func (g *Grid) Image() (*image.NRGBA, error) {
	if g.Size < 1 {
		return nil, fmt.Errorf("figure: panel size %d, want >= 1", g.Size)
	}
	if !(g.Hi > g.Lo) || math.IsInf(float64(g.Hi-g.Lo), 0) {
		return nil, fmt.Errorf("figure: value range [%g, %g], want finite lo < hi", g.Lo, g.Hi)
	}
	if g.Colormap != Grey && g.Colormap != Viridis {
		return nil, fmt.Errorf("figure: unknown colormap %d", int(g.Colormap))
	}
	scale := max(g.Scale, 1)
	cols := 0
	for r, row := range g.Rows {
		cols = max(cols, len(row))
		for c, p := range row {
			if p != nil && len(p) != g.Size*g.Size {
				return nil, fmt.Errorf("figure: panel (%d,%d) has %d values, want %d×%d", r, c, len(p), g.Size, g.Size)
			}
		}
	}
	if cols == 0 {
		return nil, fmt.Errorf("figure: no panels")
	}
	side := g.Size * scale
	w := cols*side + (cols-1)*Gap
	h := len(g.Rows)*side + (len(g.Rows)-1)*Gap
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = GapColor.R, GapColor.G, GapColor.B, GapColor.A
	}
	lo, span := float64(g.Lo), float64(g.Hi)-float64(g.Lo)
	for r, row := range g.Rows {
		for c, p := range row {
			if p == nil {
				continue
			}
			x0, y0 := c*(side+Gap), r*(side+Gap)
			for y := range g.Size {
				for x := range g.Size {
					v := float64(p[y*g.Size+x])
					col := NaNColor
					if !math.IsNaN(v) {
						col = g.Colormap.at(math.Min(1, math.Max(0, (v-lo)/span)))
					}
					for dy := range scale {
						for dx := range scale {
							img.SetNRGBA(x0+x*scale+dx, y0+y*scale+dy, col)
						}
					}
				}
			}
		}
	}
	return img, nil
}

// WritePNG renders the grid and writes it to path as a PNG, atomically.
func (g *Grid) WritePNG(path string) error {
	img, err := g.Image()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// CentralSlice returns a copy of the plane at index n/2 along axis 0 of an
// n×n×n row-major cube: the n×n values cube[n/2][y][x], [y*n+x], the view of
// a 3D field that Figs. 3 and 5 of the paper show. It panics if len(cube) is
// not n³.
func CentralSlice(cube []float32, n int) []float32 {
	if n < 1 || len(cube) != n*n*n {
		panic(fmt.Sprintf("eval: CentralSlice of %d values, want n³ for n = %d", len(cube), n))
	}
	off := (n / 2) * n * n
	return append([]float32(nil), cube[off:off+n*n]...)
}

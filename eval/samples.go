package eval

import (
	"bytes"
	"image/png"
	"math"
)

// samplesPNG draws up to rows × cols images of ref (left block) beside as
// many of fake (right block), as Figs. 2 and 4 of the paper: log10 density
// through viridis, the same range for both sets, from the 0.5% to the 99.9%
// quantile of the reference's pixel PDF. Cubes show their central slice,
// one voxel thick. Panels are scaled up to at least 128 pixels.
func samplesPNG(ref, fake Set, pdf Histogram, rows, cols int) ([]byte, error) {
	lo, _ := quantileBin(pdf, 0.005)
	_, hi := quantileBin(pdf, 0.999)
	g := Grid{Size: ref.Side, Lo: float32(math.Log10(lo)), Hi: float32(math.Log10(hi)), Colormap: Viridis, Scale: max(1, 128/ref.Side)}
	scratch := make([]float32, ref.Pixels())
	panel := func(s Set, i int) ([]float32, error) {
		img, err := s.density(i, scratch)
		if err != nil {
			return nil, err
		}
		if s.Dim == 3 {
			img = CentralSlice(img, s.Side)
		}
		out := make([]float32, len(img))
		for j, v := range img {
			out[j] = float32(math.Log10(float64(v))) // 0 ↦ −Inf, drawn as Lo
		}
		return out, nil
	}
	for r := range rows {
		row := make([][]float32, 2*cols+1) // real, a blank column, fake
		for c := range cols {
			for side, s := range []Set{ref, fake} {
				i := r*cols + c
				if i >= s.Count {
					continue
				}
				p, err := panel(s, i)
				if err != nil {
					return nil, err
				}
				row[c+side*(cols+1)] = p
			}
		}
		g.Rows = append(g.Rows, row)
		if (r+1)*cols >= max(ref.Count, fake.Count) {
			break
		}
	}
	img, err := g.Image()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// quantileBin returns the edges of the bin of h in which the cumulative
// fraction reaches q: the first bin if the mass below the edges already
// does, the last if q is never reached.
func quantileBin(h Histogram, q float64) (lo, hi float64) {
	cum := h.Below
	for j, f := range h.Fraction {
		if cum += f; cum >= q || j == len(h.Fraction)-1 {
			return h.Edges[j], h.Edges[j+1]
		}
	}
	panic("eval: histogram without bins")
}

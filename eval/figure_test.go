package eval

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func rgb(c color.Color) [3]uint32 {
	r, g, b, _ := c.RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

func TestGridPNG(t *testing.T) {
	const size = 4
	panel := func(v float32) []float32 {
		p := make([]float32, size*size)
		for i := range p {
			p[i] = v
		}
		return p
	}
	odd := panel(0.5)
	odd[1*size+3] = float32(math.NaN()) // row 1, column 3
	odd[2*size+0] = 7                   // clipped to hi
	g := Grid{
		Size:     size,
		Rows:     [][][]float32{{panel(0), panel(1), panel(-3)}, {panel(0.5), nil, odd}},
		Lo:       0,
		Hi:       1,
		Colormap: Viridis,
		Scale:    2,
	}
	path := filepath.Join(t.TempDir(), "grid.png")
	if err := g.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, path)
	// 3 panels of 8 pixels and 2 gaps of 2 across; 2 panels and 1 gap down.
	if b := img.Bounds(); b.Dx() != 3*8+2*2 || b.Dy() != 2*8+2 {
		t.Fatalf("image %v, want 28×18", b)
	}
	for _, c := range []struct {
		x, y int
		want [3]uint32
	}{
		{0, 0, [3]uint32{0x44, 0x01, 0x54}},                // lo: viridis(0)
		{7, 7, [3]uint32{0x44, 0x01, 0x54}},                // last pixel of panel (0,0)
		{8, 0, [3]uint32{255, 255, 255}},                   // gap
		{10, 3, [3]uint32{0xfd, 0xe7, 0x25}},               // hi: viridis(1)
		{20, 0, [3]uint32{0x44, 0x01, 0x54}},               // below lo: clipped
		{0, 10, [3]uint32{0x21, 0x90, 0x8c}},               // 0.5: viridis(0.5)
		{12, 12, [3]uint32{255, 255, 255}},                 // nil panel
		{20 + 3*2 + 1, 10 + 1*2 + 1, [3]uint32{255, 0, 0}}, // NaN
		{20 + 0*2, 10 + 2*2, [3]uint32{0xfd, 0xe7, 0x25}},  // 7 clipped to hi
		{20 + 1*2, 10 + 2*2, [3]uint32{0x21, 0x90, 0x8c}},  // its neighbour
	} {
		if got := rgb(img.At(c.x, c.y)); got != c.want {
			t.Errorf("pixel (%d,%d) = %x, want %x", c.x, c.y, got, c.want)
		}
	}
}

func TestGridGrey(t *testing.T) {
	// Values 0..15 in a 4×4 panel over [0, 15]: value 5 at x=1, y=1 is grey
	// round(255·5/15) = 85. The second row holds the second panel.
	p := make([]float32, 16)
	for i := range p {
		p[i] = float32(i)
	}
	path := filepath.Join(t.TempDir(), "g.png")
	g := Grid{Size: 4, Rows: [][][]float32{{p}, {p}}, Lo: 0, Hi: 15, Colormap: Grey}
	if err := g.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, path)
	if got := rgb(img.At(1, 1)); got != [3]uint32{85, 85, 85} {
		t.Errorf("pixel (1,1) = %v, want grey 85", got)
	}
	if got := rgb(img.At(3, 4+2+3)); got != [3]uint32{255, 255, 255} {
		t.Errorf("second row (3,3) = %v, want white (value 15 = hi)", got)
	}
	if b := img.Bounds(); b.Dx() != 4 || b.Dy() != 10 {
		t.Errorf("image %v, want 4×10", b)
	}
}

func TestGridErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		g    Grid
		want string
	}{
		{Grid{Size: 2, Rows: [][][]float32{{make([]float32, 3)}}, Hi: 1}, "has 3 values, want 2×2"},
		{Grid{Size: 2, Rows: [][][]float32{{make([]float32, 4)}}, Lo: 1, Hi: 1}, "want finite lo < hi"},
		{Grid{Size: 2, Hi: 1}, "no panels"},
	} {
		path := filepath.Join(dir, "e.png")
		err := c.g.WritePNG(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("got %v, want an error naming %s and containing %q", err, path, c.want)
		}
		if _, serr := os.Stat(path); serr == nil {
			t.Errorf("failed write left %s", path)
		}
	}
}

func TestCentralSlice(t *testing.T) {
	cube := make([]float32, 5*5*5)
	for i := range cube {
		cube[i] = float32(i)
	}
	s := CentralSlice(cube, 5)
	// Plane 2 starts at flat index 2·25 = 50; (y=3, x=4) is 50+15+4 = 69.
	if len(s) != 25 || s[0] != 50 || s[3*5+4] != 69 {
		t.Fatalf("slice %v", s)
	}
	s[0] = -1
	if cube[50] != 50 {
		t.Fatal("CentralSlice shares memory with the cube")
	}
}

// TestLogTickLabelsAreRounded: the labels of a log axis over six decades are
// the powers of ten as a reader writes them, never float noise such as
// 9.999999999999999e-05.
func TestLogTickLabelsAreRounded(t *testing.T) {
	want := map[string]bool{"1e-06": true, "1e-05": true, "0.0001": true, "0.001": true, "0.01": true, "0.1": true, "1": true}
	n := 0
	for _, tk := range (logTicks{}).Ticks(1e-6, 1) {
		if tk.Label == "" {
			continue
		}
		n++
		if !want[tk.Label] {
			t.Errorf("tick at %g labelled %q", tk.Value, tk.Label)
		}
	}
	if n != len(want) {
		t.Errorf("%d labelled ticks, want %d", n, len(want))
	}
}

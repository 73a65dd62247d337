// Line figures of the report, drawn with gonum.org/v1/plot: stats.png, the
// four panels of the paper's Fig. 3, and dice.png, its Fig. 10.

package eval

import (
	"bytes"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The colours of the paper's Fig. 5: simulations red, generated blue.
var (
	realColor = color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	fakeColor = color.NRGBA{0x1f, 0x77, 0xb4, 0xff}
	black     = color.NRGBA{0, 0, 0, 0xff}
)

// curve is one labelled line of a panel, with an optional band (Lo, Hi)
// drawn translucent behind it. Points that a log axis cannot show (y <= 0)
// are left out, breaking the line there.
type curve struct {
	name   string
	x, y   []float64
	lo, hi []float64 // band, or nil
	color  color.NRGBA
}

// panel is one plot of a figure.
type panel struct {
	title, xLabel, yLabel string
	logX, logY            bool
	legendLeft            bool
	curves                []curve
}

// logTicks labels the powers of ten of a log axis, as plot.LogTicks does;
// on an axis spanning less than that it labels 2…9 × 10^k too, and on one
// spanning less than a decade it uses plot.DefaultTicks, so that every
// axis has at least two numbers on it.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	inRange := func(ts []plot.Tick) (out []plot.Tick, labelled int) {
		for _, t := range ts {
			if t.Value >= lo && t.Value <= hi && t.Value > 0 {
				out = append(out, t)
				if t.Label != "" {
					labelled++
				}
			}
		}
		return out, labelled
	}
	ts, n := inRange(plot.LogTicks{Prec: -1}.Ticks(lo, hi))
	for i := range ts {
		// LogTicks's shortest representation of a power of ten it computed
		// by multiplication can read 9.999999999999999e-05: round it.
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 3, 64)
		}
	}
	if n >= 2 {
		return ts
	}
	for i := range ts {
		if ts[i].Label == "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 3, 64)
		}
	}
	if len(ts) >= 2 {
		return ts
	}
	ts, _ = inRange(plot.DefaultTicks{}.Ticks(lo, hi))
	return ts
}

func (pn panel) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = pn.title, pn.xLabel, pn.yLabel
	ok := func(x, y float64) bool {
		return !math.IsNaN(y) && !math.IsInf(y, 0) && (!pn.logY || y > 0) && (!pn.logX || x > 0)
	}
	drawn := false
	for _, c := range pn.curves {
		if c.lo != nil {
			var band plotter.XYs
			for i := range c.x {
				if ok(c.x[i], c.lo[i]) && ok(c.x[i], c.hi[i]) {
					band = append(band, plotter.XY{X: c.x[i], Y: c.hi[i]})
				}
			}
			for i := len(c.x) - 1; i >= 0; i-- {
				if ok(c.x[i], c.lo[i]) && ok(c.x[i], c.hi[i]) {
					band = append(band, plotter.XY{X: c.x[i], Y: c.lo[i]})
				}
			}
			if len(band) >= 3 {
				poly, err := plotter.NewPolygon(band)
				if err != nil {
					return nil, err
				}
				poly.Color = color.NRGBA{c.color.R, c.color.G, c.color.B, 0x40}
				poly.LineStyle.Width = 0
				p.Add(poly)
			}
		}
		var seg plotter.XYs
		var line *plotter.Line
		flush := func() error {
			if len(seg) == 0 {
				return nil
			}
			l, s, err := plotter.NewLinePoints(seg)
			if err != nil {
				return err
			}
			l.Color, s.Color = c.color, c.color
			l.Width, s.Radius = vg.Points(1.5), vg.Points(1.5)
			s.Shape = draw.CircleGlyph{}
			p.Add(l, s)
			line, seg, drawn = l, nil, true
			return nil
		}
		for i := range c.x {
			if ok(c.x[i], c.y[i]) {
				seg = append(seg, plotter.XY{X: c.x[i], Y: c.y[i]})
			} else if err := flush(); err != nil {
				return nil, err
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if line != nil {
			p.Legend.Add(c.name, line)
		}
	}
	if !drawn { // nothing to show: a valid empty frame
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 1, 10, 1, 10
	}
	if pn.logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	if pn.logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	p.Legend.Top, p.Legend.Left = true, pn.legendLeft
	p.Add(plotter.NewGrid())
	return p, nil
}

// renderPanels draws panels in rows × cols tiles of w × h points each and
// returns the PNG.
func renderPanels(panels []panel, rows, cols int, w, h vg.Length) ([]byte, error) {
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
		for c := range plots[r] {
			if i := r*cols + c; i < len(panels) {
				p, err := panels[i].plot()
				if err != nil {
					return nil, err
				}
				plots[r][c] = p
			}
		}
	}
	img := vgimg.NewWith(vgimg.UseWH(w*vg.Length(cols), h*vg.Length(rows)), vgimg.UseDPI(96))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(plots, t, dc)
	for r := range plots {
		for c, p := range plots[r] {
			if p != nil {
				p.Draw(canvases[r][c])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// centres returns the geometric centres of log-spaced bins.
func centres(edges []float64) []float64 {
	c := make([]float64, len(edges)-1)
	for j := range c {
		c[j] = math.Sqrt(edges[j] * edges[j+1])
	}
	return c
}

// statsPNG draws the panels of Fig. 3 for rep, real in red and fake in
// blue, with the given curve names: the pixel PDF, the mean density
// distribution and the peak counts above, the power spectra of the density
// and of the log field (the networks' space) below, side by side.
func statsPNG(rep *Report, realName, fakeName string) ([]byte, error) {
	both := func(get func(*Stats) (x, y, lo, hi []float64)) []curve {
		var cs []curve
		for _, s := range []struct {
			st    *Stats
			name  string
			color color.NRGBA
		}{{rep.Real, realName, realColor}, {rep.Fake, fakeName, fakeColor}} {
			x, y, lo, hi := get(s.st)
			cs = append(cs, curve{name: s.name, x: x, y: y, lo: lo, hi: hi, color: s.color})
		}
		return cs
	}
	spectrum := func(sp func(*Stats) Spectrum) []curve {
		return both(func(s *Stats) (x, y, lo, hi []float64) {
			sp := sp(s)
			for b, nu := range sp.Nu {
				x = append(x, float64(nu))
				lo, hi = append(lo, sp.Median[b]-sp.MAD[b]), append(hi, sp.Median[b]+sp.MAD[b])
			}
			return x, sp.Median, lo, hi
		})
	}
	panels := []panel{
		{title: "Pixel PDF", xLabel: "ρ / mean ρ", yLabel: "fraction of pixels", logX: true, logY: true,
			curves: both(func(s *Stats) (x, y, lo, hi []float64) {
				return centres(s.PixelPDF.Edges), s.PixelPDF.Fraction, nil, nil
			})},
		{title: "Mean density distribution", xLabel: "mean of an image (ρ / mean ρ)", yLabel: "fraction of images", logX: true,
			curves: both(func(s *Stats) (x, y, lo, hi []float64) {
				return centres(s.MeanDensity.Edges), s.MeanDensity.Fraction, nil, nil
			})},
		{title: "Peak counts", xLabel: "peak height (ρ / mean ρ)", yLabel: "mean peaks per image", logX: true, logY: true,
			curves: both(func(s *Stats) (x, y, lo, hi []float64) {
				return centres(s.PeakCounts.Edges), s.PeakCounts.MeanCount, nil, nil
			})},
		{title: "Power spectrum of ρ (median, band ± MAD)", xLabel: "ν (integer wave number)", yLabel: "P(ν)", logX: true, logY: true,
			curves: spectrum(func(s *Stats) Spectrum { return s.PowerSpectrum })},
		{title: "Power spectrum of the log field (networks' space)", xLabel: "ν (integer wave number)", yLabel: "P(ν)", logX: true, logY: true,
			curves: spectrum(func(s *Stats) Spectrum { return s.LogFieldSpectrum })},
	}
	return renderPanels(panels, 2, 3, 5*vg.Inch, 4*vg.Inch)
}

// dicePNG draws Fig. 10 for d: the overlap of pairs and of random pairs with
// their standard-deviation bands, then the normalized coefficient (Eq. 10)
// and the significance (Eq. 11) with theirs.
func dicePNG(d *Dice, pairName string) ([]byte, error) {
	x := make([]float64, len(d.TopPercent))
	band := func(m, s []float64, scale func(t int) float64) (lo, hi []float64) {
		for t := range m {
			lo, hi = append(lo, m[t]-s[t]*scale(t)), append(hi, m[t]+s[t]*scale(t))
		}
		return lo, hi
	}
	one := func(int) float64 { return 1 }
	for t, n := range d.TopPercent {
		x[t] = float64(n)
	}
	olo, ohi := band(d.Mean, d.Std, one)
	rlo, rhi := band(d.RandomMean, d.RandomStd, one)
	nlo, nhi := band(d.Normalized, d.Std, func(t int) float64 { return ratio(1, 1-d.RandomMean[t]) })
	slo, shi := band(d.Significance, d.Std, func(t int) float64 { return ratio(1, d.RandomStd[t]) })
	panels := []panel{
		{title: "Sørensen–Dice overlap", xLabel: "top n% of pixels", yLabel: "overlap O", legendLeft: true,
			curves: []curve{
				{name: pairName, x: x, y: d.Mean, lo: olo, hi: ohi, color: color.NRGBA{0xe6, 0xa8, 0x17, 0xff}},
				{name: "random pairs", x: x, y: d.RandomMean, lo: rlo, hi: rhi, color: black}}},
		{title: "Normalized coefficient, Eq. (10)", xLabel: "top n% of pixels", yLabel: "(Ō − r) / (1 − r)",
			curves: []curve{{name: "normalized", x: x, y: d.Normalized, lo: nlo, hi: nhi, color: fakeColor}}},
		{title: "Significance, Eq. (11)", xLabel: "top n% of pixels", yLabel: "(Ō − r) / σ_r",
			curves: []curve{{name: "significance", x: x, y: d.Significance, lo: slo, hi: shi, color: realColor}}},
	}
	return renderPanels(panels, 1, 3, 5*vg.Inch, 4*vg.Inch)
}

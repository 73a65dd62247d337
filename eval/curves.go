package eval

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot/vg"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// Series is one named curve of values against training steps.
type Series struct {
	Name        string
	Step, Value []float64
}

// CurvePanel is one panel of a curves figure: a title, the y-axis label and
// its series.
type CurvePanel struct {
	Title, YLabel string
	LogY          bool
	Series        []Series
}

// palette colours the series of a panel in turn.
var palette = []color.NRGBA{realColor, fakeColor, {0x2c, 0xa0, 0x2c, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x94, 0x67, 0xbd, 0xff}}

// WriteCurves writes a PNG of the panels side by side (the training losses and
// validation curves of a run) to path, atomically.
func WriteCurves(path string, panels []CurvePanel) error {
	if len(panels) == 0 {
		return fmt.Errorf("curves figure %s: no panels", path)
	}
	var ps []panel
	for _, cp := range panels {
		p := panel{title: cp.Title, xLabel: "training step", yLabel: cp.YLabel, logY: cp.LogY}
		for i, s := range cp.Series {
			p.curves = append(p.curves, curve{name: s.Name, x: s.Step, y: s.Value, color: palette[i%len(palette)]})
		}
		ps = append(ps, p)
	}
	png, err := renderPanels(ps, 1, len(ps), 5*vg.Inch, 3.5*vg.Inch)
	if err != nil {
		return fmt.Errorf("curves figure %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, png)
}

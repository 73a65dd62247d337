package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// File names WriteReport writes in its folder.
const (
	ReportJSON = "report.json"
	StatsPNG   = "stats.png"
	DicePNG    = "dice.png"
	SamplesPNG = "samples.png"
	ReportHTML = "report.html"
)

// WriteReport writes rep and its figures into dir (created if missing):
// report.json, stats.png, dice.png (only with rep.Dice), samples.png (up to
// 4 rows of 4 images of ref beside 4 of fake) and report.html. Everything is
// rendered in memory first and each file is written atomically, so an error
// leaves no partial file. page names the sets; its figure names are filled
// in.
func WriteReport(dir string, rep *Report, ref, fake Set, page ReportPage) error {
	files := map[string][]byte{}
	var err error
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", " ")
	if err = enc.Encode(rep); err != nil {
		return fmt.Errorf("encode %s: %w", ReportJSON, err)
	}
	files[ReportJSON] = js.Bytes()
	if files[StatsPNG], err = statsPNG(rep, "real: "+page.RealName, "fake: "+page.FakeName); err != nil {
		return fmt.Errorf("draw %s: %w", StatsPNG, err)
	}
	page.StatsPNG, page.SamplesPNG, page.Paired = StatsPNG, SamplesPNG, rep.Dice != nil
	if rep.Dice != nil {
		if files[DicePNG], err = dicePNG(rep.Dice, "pairs"); err != nil {
			return fmt.Errorf("draw %s: %w", DicePNG, err)
		}
		page.DicePNG = DicePNG
	}
	if files[SamplesPNG], err = samplesPNG(ref, fake, rep.Real.PixelPDF, 4, 4); err != nil {
		return fmt.Errorf("draw %s: %w", SamplesPNG, err)
	}
	if files[ReportHTML], err = reportHTML(rep, page); err != nil {
		return fmt.Errorf("render %s: %w", ReportHTML, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{StatsPNG, DicePNG, SamplesPNG, ReportJSON, ReportHTML} {
		if b, ok := files[name]; ok {
			if err := atomicfile.WriteBytes(filepath.Join(dir, name), b); err != nil {
				return err
			}
		}
	}
	return nil
}

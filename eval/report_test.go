package eval

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/cosmogan/cosmogan/data"
)

// TestSameResultForAnyThreadCount: every reduction is in image order or on
// integers, so reports are bitwise equal for 1, 2 and 3 threads.
func TestSameResultForAnyThreadCount(t *testing.T) {
	ref, fake := lognormalSet(7, 16, 3, 1), lognormalSet(7, 16, 3, 2)
	var first *Report
	for _, threads := range []int{1, 2, 3} {
		rep, err := Compare(ref, fake, true, Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = rep
		} else if !reflect.DeepEqual(rep, first) {
			t.Errorf("%d threads: report differs from 1 thread", threads)
		}
	}
}

// TestDistancesKnownCases: a set against itself is at distance 0; against
// itself times 2 its spectrum is exactly 4 times higher, a distance of
// log10 4, and its pixel PDF, mean densities and peaks move by log10 2 (to
// within one bin); the peak numbers are unchanged.
func TestDistancesKnownCases(t *testing.T) {
	ref := lognormalSet(40, 32, 2, 3)
	same, err := Compare(ref, ref, true, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := same.Distances
	if d.PixelPDF != 0 || d.MeanDensity != 0 || d.PowerSpectrum != 0 || d.PeakCounts != 0 || d.Score != 0 || *d.Dice > 1e-12 {
		t.Errorf("set against itself: distances %+v, want all 0", d)
	}
	double := Set{Data: slices.Clone(ref.Data), Count: ref.Count, Side: ref.Side, Dim: ref.Dim}
	for i := range double.Data {
		double.Data[i] *= 2
	}
	rep, err := Compare(ref, double, false, Options{PixelBins: 200, MeanBins: 100})
	if err != nil {
		t.Fatal(err)
	}
	d = rep.Distances
	if want := math.Log10(4); math.Abs(d.PowerSpectrum-want) > 1e-12 {
		t.Errorf("spectrum distance %g, want log10 4 = %g", d.PowerSpectrum, want)
	}
	bin := math.Log10(rep.Real.PixelPDF.Edges[1] / rep.Real.PixelPDF.Edges[0])
	for _, c := range []struct {
		name     string
		got, tol float64
	}{{"pixel PDF", d.PixelPDF, bin}, {"mean density", d.MeanDensity, 1e-6}, {"peak counts", d.PeakCounts, bin}} {
		if math.Abs(c.got-math.Log10(2)) > c.tol {
			t.Errorf("%s distance %g, want log10 2 = %g ± %g", c.name, c.got, math.Log10(2), c.tol)
		}
	}
	if d.Dice != nil || rep.Dice != nil {
		t.Errorf("unpaired comparison has Dice")
	}
}

// TestLogW1: all mass moved by one bin costs one bin width in log10, and
// half the mass moved by two bins costs the same; likewise for samples.
func TestLogW1(t *testing.T) {
	edges := []float64{1, 10, 100, 1000}
	for _, c := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{0, 1, 0, 0, 0}, []float64{0, 0, 1, 0, 0}, 1},
		{[]float64{0, 1, 0, 0, 0}, []float64{0, 0.5, 0, 0.5, 0}, 1},
		{[]float64{0, 0, 0, 1, 0}, []float64{0, 0, 0, 0, 1}, 1}, // above: one bin beyond
		{[]float64{1, 0, 0, 0, 0}, []float64{1, 0, 0, 0, 0}, 0},
	} {
		if got := logW1(edges, c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("logW1(%v, %v) = %g, want %g", c.a, c.b, got, c.want)
		}
	}
	// Samples: {1, 10} against {100}: half the mass moves 2 decades, half
	// 1; {1, 100} against {1, 100, 1, 100} is the same distribution.
	for _, c := range []struct {
		a, b []float64
		want float64
	}{{[]float64{1, 10}, []float64{100}, 1.5}, {[]float64{100, 1}, []float64{1, 100, 1, 100}, 0}, {[]float64{1}, []float64{10}, 1}} {
		if got := sampleLogW1(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("sampleLogW1(%v, %v) = %g, want %g", c.a, c.b, got, c.want)
		}
	}
}

// TestPixelPDFAndMeanDensity: values 1, 2, 4, 8 in equal numbers with edges
// [1, 3, 10] and one zero pixel per image: the fractions follow by counting.
func TestPixelPDFAndMeanDensity(t *testing.T) {
	vals := []float64{1, 2, 4, 8, 0}
	s := newTestSet(2, 4, 2, func(i, j int) float64 {
		if i == 1 {
			return 20 // image 1 is uniform: above the pixel edges
		}
		return vals[j%5]
	})
	b := Binning{Pixel: []float64{1, 3, 10}, Mean: []float64{1, 5, 30}, Peak: []float64{1, 3, 10}}
	st := estimate(t, s, b, 2)
	// Image 0: j%5 over 16 pixels gives 0:4, 1:3, 2:3, 3:3, 4:3 → values
	// 1,2 (7 pixels) in bin 0, 4,8 (6) in bin 1, 0 (3) below; image 1 all above.
	if got, want := st.PixelPDF.Fraction, []float64{7.0 / 32, 6.0 / 32}; !slices.Equal(got, want) ||
		st.PixelPDF.Below != 3.0/32 || st.PixelPDF.Above != 16.0/32 {
		t.Errorf("pixel PDF %v below %g above %g, want %v, %g, %g", got, st.PixelPDF.Below, st.PixelPDF.Above, want, 3.0/32, 0.5)
	}
	// Means: image 0 (4·1+3·2+3·4+3·8)/16 = 2.875 → bin 0; image 1: 20 → bin 1.
	if got := st.MeanDensity.Fraction; !slices.Equal(got, []float64{0.5, 0.5}) || st.Means[0] != 46.0/16 {
		t.Errorf("mean density %v (means %v), want [0.5 0.5] (2.875, 20)", got, st.Means)
	}
}

// TestWriteReport writes every output and checks report.json against the
// schema of the issue, key for key.
func TestWriteReport(t *testing.T) {
	ref, fake := lognormalSet(6, 16, 3, 1), lognormalSet(6, 16, 3, 2)
	tr := data.Eq2
	for _, s := range []*Set{&ref, &fake} { // carry Eq. 2, as the 3D data does
		tr.Forward(s.Data, s.Data)
		s.Transform = tr
	}
	rep, err := Compare(ref, fake, true, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteReport(dir, rep, ref, fake, ReportPage{Title: "test", RealName: "a.npy", FakeName: "b.npy"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ReportJSON, StatsPNG, DicePNG, SamplesPNG, ReportHTML} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, ReportJSON))
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string { return slices.Sorted(maps.Keys(m)) }
	wantKeys := map[string][]string{
		"real":      {"mean_density", "peak_counts", "pixel_pdf", "power_spectrum"},
		"fake":      {"mean_density", "peak_counts", "pixel_pdf", "power_spectrum"},
		"distances": {"dice", "mean_density", "peak_counts", "pixel_pdf", "power_spectrum", "score"},
		"dice":      {"mean", "normalized", "random_mean", "random_std", "significance", "std", "top_percent"},
	}
	if got := slices.Sorted(maps.Keys(doc)); !slices.Equal(got, []string{"dice", "distances", "fake", "real"}) {
		t.Errorf("report.json keys %v", got)
	}
	for k, want := range wantKeys {
		if got := keys(doc[k]); !slices.Equal(got, want) {
			t.Errorf("report.json %q keys %v, want %v", k, got, want)
		}
	}
	sub := map[string][]string{"pixel_pdf": {"edges", "fraction"}, "mean_density": {"edges", "fraction"},
		"power_spectrum": {"mad", "median", "nu"}, "peak_counts": {"edges", "mean_count"}}
	for _, set := range []string{"real", "fake"} {
		for k, want := range sub {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(doc[set][k], &m); err != nil {
				t.Fatal(err)
			}
			if got := keys(m); !slices.Equal(got, want) {
				t.Errorf("report.json %s.%s keys %v, want %v", set, k, got, want)
			}
		}
	}
}

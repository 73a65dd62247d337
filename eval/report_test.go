package eval

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/data"
)

// TestSameResultForAnyThreadCount: every reduction is in image order or on
// integers, and every nearest-neighbour distance is computed by the same
// code whatever thread runs it, so reports (floors, acceptance and the
// memorization check included) are bitwise equal for 1, 2 and 3 threads.
func TestSameResultForAnyThreadCount(t *testing.T) {
	ref, fake, train := lognormalSet(17, 16, 3, 1), lognormalSet(17, 16, 3, 2), lognormalSet(11, 16, 3, 3)
	ref.Groups = []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5}
	var first *Report
	for _, threads := range []int{1, 2, 3} {
		rep, err := Compare(ref, fake, true, Options{Threads: threads, Train: &train})
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
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string { return slices.Sorted(maps.Keys(m)) }
	object := func(raw json.RawMessage) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	stats := []string{"log_field_spectrum", "mean_density", "nearest", "peak_counts", "pixel_pdf", "power_spectrum"}
	distances := []string{"collapse_ratio", "log_field_max_half", "log_field_max_quarter", "log_field_spectrum", "mean_density",
		"peak_counts", "peak_heights", "peak_number_ratio", "pixel_pdf", "power_spectrum", "score", "spectrum_spread_ratio", "sum"}
	wantKeys := map[string][]string{
		"real":      stats,
		"fake":      stats,
		"distances": slices.Sorted(slices.Values(append([]string{"dice"}, distances...))),
		"floors":    {"by_image", "groups", "median", "p90", "splits"},
		"dice":      {"mean", "normalized", "random_mean", "random_std", "significance", "std", "top_percent"},
	}
	if got := keys(top); !slices.Equal(got, []string{"acceptance", "dice", "distances", "fake", "floors", "real"}) {
		t.Errorf("report.json keys %v", got)
	}
	for k, want := range wantKeys {
		if got := keys(object(top[k])); !slices.Equal(got, want) {
			t.Errorf("report.json %q keys %v, want %v", k, got, want)
		}
	}
	floors := object(top["floors"])
	for _, q := range []string{"median", "p90"} {
		if got := keys(object(floors[q])); !slices.Equal(got, distances) {
			t.Errorf("report.json floors.%s keys %v, want %v", q, got, distances)
		}
	}
	var checks []map[string]json.RawMessage
	if err := json.Unmarshal(top["acceptance"], &checks); err != nil || len(checks) != 8 {
		t.Fatalf("report.json acceptance: %d checks (%v), want 8", len(checks), err)
	}
	if got := keys(checks[0]); !slices.Equal(got, []string{"floor", "limit", "name", "pass", "rule", "value"}) {
		t.Errorf("report.json acceptance[0] keys %v", got)
	}
	spectrum := []string{"log_mad", "mad", "median", "nu"}
	sub := map[string][]string{"pixel_pdf": {"edges", "fraction"}, "mean_density": {"edges", "fraction"},
		"power_spectrum": spectrum, "log_field_spectrum": spectrum, "peak_counts": {"edges", "mean_count"}}
	for _, set := range []string{"real", "fake"} {
		for k, want := range sub {
			if got := keys(object(object(top[set])[k])); !slices.Equal(got, want) {
				t.Errorf("report.json %s.%s keys %v, want %v", set, k, got, want)
			}
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, ReportHTML))
	for _, want := range []string{"noise floor", "by image", "Acceptance", "nearest other sample, ratio", "P(ν) of the log field"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html does not mention %q", want)
		}
	}
}

// TestScoreWeighsByFloors: the score is each of the five scored distances
// over its median floor, the floors' own median score is about 5 (a half
// of the reference against the other scores that), and a reference whose
// halves agree exactly has zero floors that weigh by MinFloor instead.
func TestScoreWeighsByFloors(t *testing.T) {
	ref, fake := fieldSet(8, 6, 16, 0.3, 51), fieldSet(8, 6, 16, 0.3, 52)
	rep, err := Compare(ref, fake, false, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, f := rep.Distances, rep.Floors.Median
	want := d.PixelPDF/f.PixelPDF + d.MeanDensity/f.MeanDensity + d.PowerSpectrum/f.PowerSpectrum +
		d.PeakCounts/f.PeakCounts + d.LogFieldSpectrum/f.LogFieldSpectrum
	if math.Abs(d.Score-want) > 1e-12*want {
		t.Errorf("score %.10g, want Σ distance/floor = %.10g", d.Score, want)
	}
	if sum := d.PixelPDF + d.MeanDensity + d.PowerSpectrum + d.PeakCounts; d.Sum != sum {
		t.Errorf("sum %g, want the unweighted %g", d.Sum, sum)
	}
	if s := f.Score; !(s > 3 && s < 7) {
		t.Errorf("median score of a half against the other %.3g, want about 5", s)
	}
	// Every image the same: halves agree exactly, floors are 0.
	same := newTestSet(8, 16, 2, func(_, j int) float64 { return 1 + float64(j%7) })
	rep, err = Compare(same, fake, false, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d = rep.Distances
	if rep.Floors.Median.PixelPDF != 0 || math.Abs(d.Score-(d.PixelPDF+d.MeanDensity+d.PowerSpectrum+d.PeakCounts+d.LogFieldSpectrum)/MinFloor) > 1e-9*d.Score {
		t.Errorf("zero floors %+v: score %g, want the distances over MinFloor", rep.Floors.Median, d.Score)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report with zero floors: %v", err)
	}
}

// TestAcceptanceBounds: each check against its bound, at and beyond it;
// the log-field spectrum's bound widens to 1.5 times its floor.
func TestAcceptanceBounds(t *testing.T) {
	good := Distances{LogFieldQuarter: 0.1, LogFieldHalf: 0.2, PixelPDF: 0.03, MeanDensity: 0.03,
		PeakNumber: 1.15, PeakHeights: 0.05, SpectrumSpread: 0.71, Collapse: 0.7}
	var f Floors
	for _, c := range Acceptance(good, f) {
		if !c.Pass {
			t.Errorf("at (or just within) the bound: %+v fails", c)
		}
	}
	bad := Distances{LogFieldQuarter: 0.11, LogFieldHalf: 0.21, PixelPDF: 0.031, MeanDensity: 0.031,
		PeakNumber: 0.84, PeakHeights: 0.051, SpectrumSpread: 1.31, Collapse: 0.69}
	for _, c := range Acceptance(bad, f) {
		if c.Pass {
			t.Errorf("beyond the bound: %+v passes", c)
		}
	}
	f.P90.LogFieldQuarter, f.P90.LogFieldHalf = 0.1, 0.1 // 1.5× = 0.15 > 0.1; < 0.2
	c := Acceptance(bad, f)
	if !c[0].Pass || math.Abs(c[0].Limit-0.15) > 1e-12 || c[1].Pass || c[1].Limit != 0.2 || c[0].Floor != 0.1 {
		t.Errorf("with floors 0.1: %+v, %+v; want the first within 1.5× its floor, the second still bound by 20%%", c[0], c[1])
	}
	if got := []string{c[0].Bound(), c[4].Bound(), c[7].Bound()}; !slices.Equal(got, []string{"≤ 0.15", "1 ± 0.15", "≥ 0.7"}) {
		t.Errorf("bounds written %q", got)
	}
}

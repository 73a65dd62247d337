package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fieldSet is crops of fields: groups fields of per crops each (side n),
// labelled in Groups, with ln ρ the sum of a field's offset, drawn from
// N(0, spread²) and shared by its crops, and white noise of variance 1:
// crops of one field are correlated through their mean density.
func fieldSet(groups, per, n int, spread float64, seed uint64) Set {
	r := rand.New(rand.NewPCG(seed, 3))
	offset := make([]float64, groups)
	for g := range offset {
		offset[g] = spread * r.NormFloat64()
	}
	s := newTestSet(groups*per, n, 2, func(i, _ int) float64 { return math.Exp(offset[i/per] + r.NormFloat64()) })
	s.Groups = make([]int, s.Count)
	for i := range s.Groups {
		s.Groups[i] = 100 + i/per // any labels
	}
	return s
}

func newReference(t *testing.T, s Set, opt Options) *Reference {
	t.Helper()
	r, err := NewReference(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFloorOfIndependentHalves: for i.i.d. images the split-half floor is
// the distance between two independent sets of half the size, whose median
// over many independent pairs is drawn here directly. The median floor,
// averaged over a few reference sets to tame the noise of a median of 8
// splits, agrees with it.
func TestFloorOfIndependentHalves(t *testing.T) {
	const m, n, refs, pairs = 64, 16, 8, 48
	var f Floors // the mean of the median floors
	var bins Binning
	for k := range refs {
		ref := newReference(t, lognormalSet(m, n, 2, uint64(5+k)), Options{})
		if fl := ref.Floors; !fl.ByImage || fl.Groups != 0 || fl.Splits != FloorSplits {
			t.Fatalf("floors of an unlabelled set: by image %v, groups %d, splits %d; want true, 0, %d", fl.ByImage, fl.Groups, fl.Splits, FloorSplits)
		}
		for _, fd := range distanceFields {
			if p := fd.get(&f.Median); p != nil {
				*p += *fd.get(&ref.Floors.Median) / refs
			}
		}
		bins = ref.Binning
	}
	var draws []Distances
	for p := range pairs {
		a := estimate(t, lognormalSet(m/2, n, 2, uint64(100+2*p)), bins, 0)
		b := estimate(t, lognormalSet(m/2, n, 2, uint64(101+2*p)), bins, 0)
		draws = append(draws, distances(a, b))
	}
	for _, c := range []struct {
		name  string
		get   func(*Distances) float64
		ratio bool // the floor is |ratio − 1|
	}{
		{"pixel PDF", func(d *Distances) float64 { return d.PixelPDF }, false},
		{"mean density", func(d *Distances) float64 { return d.MeanDensity }, false},
		{"power spectrum", func(d *Distances) float64 { return d.PowerSpectrum }, false},
		{"log-field spectrum", func(d *Distances) float64 { return d.LogFieldSpectrum }, false},
		{"peak heights", func(d *Distances) float64 { return d.PeakHeights }, false},
		{"peak number", func(d *Distances) float64 { return d.PeakNumber }, true},
		{"spectrum spread", func(d *Distances) float64 { return d.SpectrumSpread }, true},
	} {
		xs := make([]float64, pairs)
		for p := range draws {
			xs[p] = c.get(&draws[p])
			if c.ratio {
				xs[p] = math.Abs(xs[p] - 1)
			}
		}
		want, got := median(xs), c.get(&f.Median)
		t.Logf("%s: floor %.4g, independent halves %.4g", c.name, got, want)
		if !(got > want/1.25 && got < want*1.25) {
			t.Errorf("%s: median floor %.4g, want %.4g (independent halves) within 25%%", c.name, got, want)
		}
	}
}

// TestFloorsSplitByField: crops of one field share its mean density. Split
// by image, both halves hold crops of every field and agree far better than
// sets from different fields would; split by field, the halves hold whole
// fields and the mean-density floor is several times larger.
func TestFloorsSplitByField(t *testing.T) {
	s := fieldSet(8, 8, 16, 0.5, 7)
	byField := newReference(t, s, Options{}).Floors
	s.Groups = nil
	byImage := newReference(t, s, Options{}).Floors
	if byField.ByImage || byField.Groups != 8 || !byImage.ByImage || byImage.Groups != 0 {
		t.Errorf("by field: by image %v, %d groups; unlabelled: by image %v, %d groups; want false, 8, true, 0",
			byField.ByImage, byField.Groups, byImage.ByImage, byImage.Groups)
	}
	f, i := byField.Median.MeanDensity, byImage.Median.MeanDensity
	t.Logf("mean-density floor: by field %.4g, by image %.4g", f, i)
	if !(f > 3*i) {
		t.Errorf("mean-density floor by field %.4g, by image %.4g: want the field split over 3 times larger", f, i)
	}
	s.Groups = make([]int, s.Count) // one field: nothing to split
	if one := newReference(t, s, Options{}).Floors; !one.ByImage || one.Groups != 1 || one.Median != byImage.Median {
		t.Errorf("one group: by image %v, %d groups, floors equal to the unlabelled ones %v; want true, 1, true",
			one.ByImage, one.Groups, one.Median == byImage.Median)
	}
}

// TestSplitHalves: every split puts whole groups in either half, half the
// groups in each, and is the same on every call.
func TestSplitHalves(t *testing.T) {
	labels := []int{5, 5, 9, 9, 9, 2, 7, 7, 1, 1, 4}
	halves, groups := splitHalves(labels, len(labels))
	if groups != 6 || len(halves) != FloorSplits {
		t.Fatalf("%d groups, %d splits; want 6, %d", groups, len(halves), FloorSplits)
	}
	distinct := map[[2]string]bool{}
	for _, h := range halves {
		in := [2]map[int]bool{{}, {}}
		for side, idx := range h {
			if !slices.IsSorted(idx) {
				t.Errorf("half %v not in image order", idx)
			}
			for _, i := range idx {
				in[side][labels[i]] = true
			}
		}
		if len(h[0])+len(h[1]) != len(labels) || len(in[0]) != 3 || len(in[1]) != 3 {
			t.Errorf("split %v: want all %d images, 3 groups in each half", h, len(labels))
		}
		for g := range in[0] {
			if in[1][g] {
				t.Errorf("split %v: group %d in both halves", h, g)
			}
		}
		distinct[[2]string{fmt.Sprint(h[0]), fmt.Sprint(h[1])}] = true
	}
	if len(distinct) < 4 {
		t.Errorf("%d distinct splits of 8, want random ones", len(distinct))
	}
	again, _ := splitHalves(labels, len(labels))
	if !reflect.DeepEqual(again, halves) {
		t.Errorf("splits differ between calls")
	}
	renamed := make([]int, len(labels)) // the same groups, other labels
	for i, l := range labels {
		renamed[i] = -3 * l
	}
	if again, _ := splitHalves(renamed, len(labels)); !reflect.DeepEqual(again, halves) {
		t.Errorf("splits depend on the labels' values")
	}
	if h, _ := splitHalves(nil, 1); h != nil {
		t.Errorf("one image split into %v, want no split", h)
	}
}

// TestCollapseCheck: an independent draw of the reference's distribution
// is as far from its nearest other sample as reference crops are from
// theirs (ratio ≈ 1); a set whose samples come in identical pairs is at
// distance 0 from its nearest other sample (ratio 0), and so does the set
// compared with itself (0/0 counts as 0, a failure). Crops of
// one field that are near-copies of each other do not lower the
// reference's side: their nearest neighbour is sought in other fields.
func TestCollapseCheck(t *testing.T) {
	ref := newReference(t, fieldSet(16, 4, 16, 0, 11), Options{})
	draw := fieldSet(16, 4, 16, 0, 12)
	draw.Groups = nil // samples of a generator: no fields
	indep, err := ref.Compare(draw, false)
	if err != nil {
		t.Fatal(err)
	}
	if c := indep.Distances.Collapse; math.Abs(c-1) > 0.03 {
		t.Errorf("independent draw: collapse ratio %.4g, want ≈ 1", c)
	}
	if f := ref.Floors.P90.Collapse; !(f > 0 && f < 0.05) {
		t.Errorf("collapse floor (|ratio − 1|, 90th percentile) %.4g, want small and positive", f)
	}
	pairs := lognormalSet(64, 16, 2, 13)
	p := pairs.Pixels()
	copy(pairs.Data[32*p:], pairs.Data[:32*p])
	for _, c := range []struct {
		name      string
		ref, fake Set
	}{{"pairs against the reference", ref.Set, pairs}, {"pairs against themselves", pairs, pairs}} {
		rep, err := Compare(c.ref, c.fake, false, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Distances.Collapse; got != 0 || rep.Acceptance[7].Pass {
			t.Errorf("%s: collapse ratio %.4g (check %+v), want 0, failed", c.name, got, rep.Acceptance[7])
		}
	}
	// A reference whose fields are each one image repeated with a little
	// noise: its crops' nearest crop of another field is as far as
	// independent images are.
	near := fieldSet(16, 4, 16, 0, 14)
	for i := range near.Count {
		for j := range p {
			near.Data[i*p+j] = near.Data[(i/4*4)*p+j] * float32(1+0.01*float64(i%4))
		}
	}
	grouped := newReference(t, near, Options{})
	near.Groups = nil
	ungrouped := newReference(t, near, Options{})
	g, u := grouped.Stats.Nearest, ungrouped.Stats.Nearest
	if !(u < 0.05*g) {
		t.Errorf("near-copies within fields: nearest %.4g with field labels, %.4g without; want the labelled one far larger", g, u)
	}
}

// TestMemorizationCheck: samples that are training crops are at distance
// 0 from the training set (ratio 0); an independent draw is as far from it
// as the reference is (ratio ≈ 1). Without a training set there is no
// ratio.
func TestMemorizationCheck(t *testing.T) {
	train := lognormalSet(96, 16, 2, 21)
	ref := newReference(t, lognormalSet(48, 16, 2, 22), Options{Train: &train})
	p := train.Pixels()
	copies := Set{Data: train.Data[10*p : 58*p], Count: 48, Side: 16, Dim: 2}
	for _, c := range []struct {
		name     string
		fake     Set
		lo, hi   float64
		accepted bool
	}{{"training crops", copies, 0, 0, false}, {"independent draw", lognormalSet(48, 16, 2, 23), 0.97, 1.03, true}} {
		rep, err := ref.Compare(c.fake, false)
		if err != nil {
			t.Fatal(err)
		}
		m := rep.Distances.Memorization
		if m == nil || *m < c.lo || *m > c.hi {
			t.Errorf("%s: memorization ratio %v, want in [%g, %g]", c.name, m, c.lo, c.hi)
			continue
		}
		last := rep.Acceptance[len(rep.Acceptance)-1]
		if last.Name != "nearest training crop, ratio" || last.Pass != c.accepted {
			t.Errorf("%s: last check %+v, want the memorization check, pass %v", c.name, last, c.accepted)
		}
	}
	if f := ref.Floors.P90.Memorization; f == nil || !(*f > 0 && *f < 0.05) {
		t.Errorf("memorization floor %v, want small and positive", f)
	}
	rep, err := Compare(ref.Set, copies, false, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Distances.Memorization != nil || rep.Floors.Median.Memorization != nil || len(rep.Acceptance) != 8 {
		t.Errorf("no training set: memorization %v, floor %v, %d checks; want none and 8", rep.Distances.Memorization, rep.Floors.Median.Memorization, len(rep.Acceptance))
	}
	bad := lognormalSet(4, 8, 2, 24)
	if _, err := NewReference(ref.Set, Options{Train: &bad}); err == nil || !strings.Contains(err.Error(), "training set") {
		t.Errorf("training crops of another shape: %v, want an error naming the training set", err)
	}
}

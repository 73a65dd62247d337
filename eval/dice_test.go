package eval

import (
	"math"
	"sort"
	"testing"
)

// TestDiceIdentical: an image overlaps itself completely at every n, so
// the normalized coefficient is 1 as well.
func TestDiceIdentical(t *testing.T) {
	s := lognormalSet(6, 16, 2, 3)
	d, err := DiceOverlap(s, s, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range d.TopPercent {
		if d.Mean[i] != 1 || d.Std[i] != 0 || math.Abs(d.Normalized[i]-1) > 1e-12 {
			t.Errorf("top %d%%: mean %g std %g normalized %g, want 1, 0, 1", n, d.Mean[i], d.Std[i], d.Normalized[i])
		}
	}
}

// TestDiceDisjoint: a ramp rising to the right against one rising to the
// left: their top-n% sets lie on opposite sides, disjoint for n <= 50, and
// for n > 50 they share exactly (2n−100)% of the pixels, so O = (2n−100)/n.
func TestDiceDisjoint(t *testing.T) {
	const n = 20
	right := newTestSet(4, n, 2, func(i, j int) float64 { return float64(j%n + 1) })
	left := newTestSet(4, n, 2, func(i, j int) float64 { return float64(n - j%n) })
	d, err := DiceOverlap(right, left, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, top := range d.TopPercent {
		want := 0.0
		if top > 50 {
			want = float64(2*top-100) / float64(top)
		}
		if math.Abs(d.Mean[i]-want) > 1e-12 {
			t.Errorf("top %d%%: overlap %g, want %g", top, d.Mean[i], want)
		}
	}
}

// TestDiceRandom: independent random fields overlap by q = n/100 on average
// at top n%, both as pairs and as the random baseline. N_ab is
// hypergeometric with mean qk, so one pair's O = N_ab/k has a standard
// deviation of about sqrt(q(1−q)/k); over 40 pairs of 4096 pixels the
// tolerance 0.01 is at least four standard errors.
func TestDiceRandom(t *testing.T) {
	a, b := lognormalSet(40, 64, 2, 5), lognormalSet(40, 64, 2, 6)
	d, err := DiceOverlap(a, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, top := range d.TopPercent {
		q := float64(top) / 100
		if math.Abs(d.Mean[i]-q) > 0.01 || math.Abs(d.RandomMean[i]-q) > 0.01 {
			t.Errorf("top %d%%: pair overlap %.4f, random %.4f, want ≈ %.2f", top, d.Mean[i], d.RandomMean[i], q)
		}
		if math.Abs(d.Normalized[i]) > 0.05 {
			t.Errorf("top %d%%: normalized %.4f for independent fields, want ≈ 0", top, d.Normalized[i])
		}
	}
}

// TestDiceAgainstSort checks the radix ranking and the level counting
// against a direct count: sort each image by (value desc, index asc), take
// the first k, count the shared pixels. Values are quantized so that ties
// (broken by position) occur often.
func TestDiceAgainstSort(t *testing.T) {
	a := newTestSet(3, 8, 3, func(i, j int) float64 { return float64((j*7919 + i*31) % 13) })
	b := newTestSet(3, 8, 3, func(i, j int) float64 { return float64((j*104729 + i) % 5) })
	d, err := DiceOverlap(a, b, 3)
	if err != nil {
		t.Fatal(err)
	}
	p := a.Pixels()
	top := func(s Set, i, k int) map[int]bool {
		idx := make([]int, p)
		for j := range idx {
			idx[j] = j
		}
		img := s.Data[i*p : (i+1)*p]
		sort.SliceStable(idx, func(x, y int) bool { return img[idx[x]] > img[idx[y]] })
		set := map[int]bool{}
		for _, j := range idx[:k] {
			set[j] = true
		}
		return set
	}
	for ti, n := range d.TopPercent {
		k := int(math.Round(float64(n) / 100 * float64(p)))
		sum := 0.0
		for i := range 3 {
			ta, tb := top(a, i, k), top(b, i, k)
			nab := 0
			for j := range ta {
				if tb[j] {
					nab++
				}
			}
			sum += 2 * float64(nab) / float64(len(ta)+len(tb))
		}
		if want := sum / 3; math.Abs(d.Mean[ti]-want) > 1e-12 {
			t.Errorf("top %d%%: mean overlap %g, direct count %g", n, d.Mean[ti], want)
		}
	}
}

package eval

import (
	"math"
	"math/rand/v2"
)

// Noise floors. A distance between a candidate set and the reference means
// little without the distance that chance alone gives: the same distance
// between two halves of the reference. Crops cut from one field (one
// simulation) are correlated, so halves that share fields agree better
// than independent sets would: the reference is split by field, whole
// fields to either half, when its images carry group labels.

// FloorSplits is the number of random splits of the reference into halves,
// and FloorSeed seeds their draw, so that floors are reproducible.
const (
	FloorSplits = 8
	FloorSeed   = 4141
)

// Floors are the noise floors of a reference set.
type Floors struct {
	// Median and P90 hold, for each field of Distances but Dice, the
	// median and the 90th percentile over Splits random splits of the
	// reference into two halves of how far the halves are from agreement:
	// the distance itself, or |ratio − 1| for a ratio. Their Score is that
	// of a half against the other, weighed by Median: about 5 (the number
	// of terms) at the median for a candidate as close to the reference as
	// its own halves are. Halves have half the images of the reference, so
	// a candidate set as large as the reference is expected at about 1/√2
	// of these floors.
	Median Distances `json:"median"`
	P90    Distances `json:"p90"`
	Splits int       `json:"splits"`
	// Groups is the number of distinct group labels (fields) of the
	// reference, 0 without labels. ByImage reports that there were fewer
	// than two, so the halves split the images themselves: then the floors
	// underestimate the noise of crops correlated within their field.
	Groups  int  `json:"groups"`
	ByImage bool `json:"by_image"`
}

// splitHalves draws FloorSplits splits of n images labelled by labels (nil
// for none) into two halves of the groups, or of the images when there are
// fewer than two groups, each half in increasing image order. Groups are
// numbered in order of first appearance, so the splits depend on which
// images share a group, not on the labels' values. It returns no split for
// fewer than two images.
func splitHalves(labels []int, n int) (halves [][2][]int, groups int) {
	var keys []int
	seen := map[int]bool{}
	for _, l := range labels {
		if !seen[l] {
			seen[l] = true
			keys = append(keys, l)
		}
	}
	groups = len(keys)
	label := func(i int) int { return labels[i] }
	if groups < 2 {
		keys, label = allImages(n), func(i int) int { return i }
	}
	if len(keys) < 2 {
		return nil, groups
	}
	r := rand.New(rand.NewPCG(FloorSeed, uint64(len(keys))))
	for range FloorSplits {
		perm := r.Perm(len(keys))
		inA := map[int]bool{}
		for _, k := range perm[:len(keys)/2] {
			inA[keys[k]] = true
		}
		var h [2][]int
		for i := range n {
			if inA[label(i)] {
				h[0] = append(h[0], i)
			} else {
				h[1] = append(h[1], i)
			}
		}
		halves = append(halves, h)
	}
	return halves, groups
}

// floors measures the noise floors of the images m measured.
func (m *perImage) floors() Floors {
	halves, groups := splitHalves(m.labels, len(m.means))
	f := Floors{Splits: len(halves), Groups: groups, ByImage: groups < 2}
	ds := make([]Distances, len(halves))
	for s, h := range halves {
		ds[s] = distances(m.stats(h[0]), m.stats(h[1]))
	}
	if m.train != nil {
		f.Median.Memorization, f.P90.Memorization = new(float64), new(float64)
	}
	if len(ds) == 0 {
		return f
	}
	// Every floor but the score's first, then the score of each split
	// weighed by the median floors, and its floor.
	xs := make([]float64, len(ds))
	quantiles := func(fd func(*Distances) *float64, ratio bool) {
		if fd(&f.Median) == nil {
			return
		}
		for s := range ds {
			xs[s] = *fd(&ds[s])
			if ratio {
				xs[s] = math.Abs(xs[s] - 1)
			}
		}
		*fd(&f.Median), *fd(&f.P90) = quantile(xs, 0.5), quantile(xs, 0.9)
	}
	for _, fd := range distanceFields {
		quantiles(fd.get, fd.ratio)
	}
	for s := range ds {
		ds[s].weigh(f.Median)
	}
	quantiles(func(d *Distances) *float64 { return &d.Score }, false)
	return f
}

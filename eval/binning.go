package eval

import (
	"fmt"
	"math"
	"sort"

	"github.com/cosmogan/cosmogan/data"
)

// Default numbers of bins of NewBinning.
const (
	DefaultPixelBins = 40
	DefaultMeanBins  = 40
)

// Binning holds the bin edges, in linear density (ρ/ρ̄), shared by the sets
// that are compared: the pixel PDF (Pixel), the mean density distribution
// (Mean) and the peak heights (Peak). Each is increasing, with at least two
// edges; a value v falls in bin j when e_j <= v < e_(j+1).
type Binning struct {
	Pixel, Mean, Peak []float64
}

// NewBinning derives the edges from the reference set: pixelBins
// log-spaced bins from its smallest positive density to just above its
// largest, used for pixel values and peak heights alike (a peak is a pixel),
// and meanBins log-spaced bins over the range of its per-image mean
// densities widened on each side by that range's own width (in log), and
// at least by a factor 1.25, so that a candidate whose means are off by
// that much still shows in the figure. Bins follow the reference only, so that every candidate set
// (every checkpoint) is measured against the same edges; a candidate's
// values outside them are not counted in any bin but stay in the
// denominators, which the distances penalise. Bin counts <= 0 take the
// defaults.
func NewBinning(ref Set, pixelBins, meanBins, threads int) (Binning, error) {
	if err := ref.check(); err != nil {
		return Binning{}, err
	}
	if pixelBins <= 0 {
		pixelBins = DefaultPixelBins
	}
	if meanBins <= 0 {
		meanBins = DefaultMeanBins
	}
	type rng struct{ minPos, max float64 }
	per := make([]rng, ref.Count)
	means := make([]float64, ref.Count)
	scratch := newScratch(ref, threads)
	err := forEach(threads, ref.Count, func(w, i int) error {
		img, err := ref.density(i, scratch[w])
		if err != nil {
			return err
		}
		r := rng{math.Inf(1), 0}
		lo, hi, sum := float32(math.Inf(1)), float32(0), 0.0
		for _, v := range img {
			sum += float64(v)
			if v > hi {
				hi = v
			}
			if v > 0 && v < lo {
				lo = v
			}
		}
		r.minPos, r.max = float64(lo), float64(hi)
		per[i], means[i] = r, sum/float64(len(img))
		return nil
	})
	if err != nil {
		return Binning{}, err
	}
	all := rng{math.Inf(1), 0}
	for _, r := range per {
		all.minPos, all.max = math.Min(all.minPos, r.minPos), math.Max(all.max, r.max)
	}
	if math.IsInf(all.minPos, 1) {
		return Binning{}, fmt.Errorf("reference set is zero everywhere, want some positive density to set log-spaced bins: %w", data.ErrBadInput)
	}
	mlo, mhi := means[0], means[0]
	for _, m := range means {
		mlo, mhi = math.Min(mlo, m), math.Max(mhi, m)
	}
	if mlo <= 0 {
		mlo = all.minPos
	}
	pixel := logEdges(all.minPos, all.max, pixelBins)
	widen := max(mhi/mlo, 1.25)
	return Binning{Pixel: pixel, Mean: logEdges(mlo/widen, mhi*widen, meanBins), Peak: pixel}, nil
}

// logEdges returns bins+1 log-spaced edges from lo to just above hi, so that
// hi itself falls in the last bin. When lo and hi (nearly) coincide the
// range is widened to a factor 2 either way.
func logEdges(lo, hi float64, bins int) []float64 {
	if hi <= lo*(1+1e-9) {
		lo, hi = lo/2, hi*2
	}
	hi = math.Nextafter(hi, math.Inf(1))
	a, b := math.Log(lo), math.Log(hi)
	e := make([]float64, bins+1)
	for j := range e {
		e[j] = math.Exp(a + (b-a)*float64(j)/float64(bins))
	}
	e[0], e[bins] = lo, hi
	return e
}

func (b Binning) check() error {
	for _, e := range []struct {
		name  string
		edges []float64
	}{{"pixel", b.Pixel}, {"mean", b.Mean}, {"peak", b.Peak}} {
		if len(e.edges) < 2 {
			return fmt.Errorf("%s bins: %d edges, want at least 2", e.name, len(e.edges))
		}
		for j := 1; j < len(e.edges); j++ {
			if !(e.edges[j] > e.edges[j-1]) || e.edges[0] <= 0 || math.IsInf(e.edges[j], 0) {
				return fmt.Errorf("%s bins: edges %v, want finite, positive and increasing", e.name, e.edges)
			}
		}
	}
	return nil
}

// binner finds the bin of a float32 value in O(1). Comparing a float32 v
// with a float64 edge e, v >= e exactly when v >= the smallest float32 not
// below e, so the edges are kept as such float32 thresholds. Positive
// float32 bit patterns are ordered like their values, so a table indexed
// by the top bits of v gives the bin of the smallest value with those bits,
// from which at most a step or two up reaches v's bin (a table bucket
// spans 2^-bucketBits of an octave, far less than a bin).
type binner struct {
	thr   []float32 // thresholds of the edges
	base  uint32    // bit pattern of thr[0]
	table []int32   // bin of the bucket's lowest value
}

const bucketBits = 7 // mantissa bits of the table index

func newBinner(edges []float64) binner {
	b := binner{thr: make([]float32, len(edges))}
	for j, e := range edges {
		f := float32(e)
		if float64(f) < e {
			f = math.Nextafter32(f, float32(math.Inf(1)))
		}
		b.thr[j] = f
	}
	k := len(edges) - 1
	b.base = math.Float32bits(b.thr[0])
	const shift = 23 - bucketBits
	n := (math.Float32bits(b.thr[k])-b.base)>>shift + 1
	b.table = make([]int32, n)
	j := 0
	for t := range b.table {
		lo := math.Float32frombits(b.base + uint32(t)<<shift)
		for j < k-1 && lo >= b.thr[j+1] {
			j++
		}
		b.table[t] = int32(j)
	}
	return b
}

// bin returns the bin of v: -1 below the first edge, len(edges)-1 at or
// above the last.
func (b *binner) bin(v float32) int {
	k := len(b.thr) - 1
	if !(v >= b.thr[0]) {
		return -1
	}
	if v >= b.thr[k] {
		return k
	}
	j := int(b.table[(math.Float32bits(v)-b.base)>>(23-bucketBits)])
	for v >= b.thr[j+1] {
		j++
	}
	return j
}

// binOf returns the bin of x among edges by bisection: -1 below the first
// edge, len(edges)-1 at or above the last. It serves the few per-image
// means, which are float64.
func binOf(edges []float64, x float64) int {
	return sort.Search(len(edges), func(j int) bool { return edges[j] > x }) - 1
}

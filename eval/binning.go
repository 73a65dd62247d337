package eval

import (
	"fmt"
	"math"

	"github.com/cosmogan/cosmogan/data"
)

// Default numbers of bins of NewBinning.
const (
	DefaultPixelBins = 40
	DefaultMeanBins  = 40
)

// Binning holds the bin edges, in particles per pixel, shared by the sets
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
		sum := 0.0
		for _, v := range img {
			x := float64(v)
			sum += x
			r.max = math.Max(r.max, x)
			if x > 0 {
				r.minPos = math.Min(r.minPos, x)
			}
		}
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

// binner finds the bin of a value among log-spaced edges in O(1): a guess
// from a fast log2, corrected against the exact edges, so the result is
// exact for any increasing positive edges (only slower if they are not
// log-spaced).
type binner struct {
	edges       []float64
	lo, perLog2 float64 // log2 of the first edge, bins per unit of log2
}

func newBinner(edges []float64) binner {
	k := len(edges) - 1
	l0, l1 := math.Log2(edges[0]), math.Log2(edges[k])
	return binner{edges: edges, lo: l0, perLog2: float64(k) / (l1 - l0)}
}

// bin returns the bin of v: -1 below the first edge, len(edges)-1 at or
// above the last.
func (b *binner) bin(x float64) int {
	e := b.edges
	k := len(e) - 1
	if !(x >= e[0]) {
		return -1
	}
	if x >= e[k] {
		return k
	}
	j := int((fastLog2(float32(x)) - b.lo) * b.perLog2)
	j = max(0, min(j, k-1))
	for x < e[j] {
		j--
	}
	for x >= e[j+1] {
		j++
	}
	return j
}

// fastLog2 approximates log2 of a positive normal float32 to within 0.01
// from its exponent and a quadratic in its mantissa.
func fastLog2(v float32) float64 {
	bits := math.Float32bits(v)
	exp := float64(int(bits>>23&0xff) - 127)
	m := float64(math.Float32frombits(bits&0x7fffff|0x3f800000)) - 1 // [0, 1)
	return exp + m*(1.3465552-0.3465552*m)
}

package eval

import (
	"fmt"
	"math"
	"slices"
)

// Distances reduce each estimator to one number that is 0 when the two
// sets agree and grows as they part. All four are in decades (powers of
// ten), the unit of the log axes the paper reads its figures on, so they
// can be added without weights:
//
//   - PixelPDF: the 1-Wasserstein (earth mover's) distance between the two
//     pixel distributions in log10 ρ: how many decades of density the
//     pixels of one set must move, on average, to match the other. Unlike a
//     bin-by-bin difference it does not depend on the number of bins, sees
//     a shift of the tails in proportion to the mass shifted, and stays
//     finite where one histogram is empty.
//   - MeanDensity: the same between the per-image mean densities, computed
//     exactly from the sorted means rather than from bins (the reference's
//     means span a narrow range, so a biased set would fall outside the
//     bins); mode collapse (a too narrow distribution) and a biased mean
//     both raise it.
//   - PowerSpectrum: the root mean square over ν of log10 of the ratio of
//     the median spectra. Each scale counts equally, although power spans
//     decades across ν; 0.1 means the spectra differ by 26% on average.
//   - PeakCounts: the 1-Wasserstein distance in log10 height between the
//     peak-height distributions, plus |log10| of the ratio of the mean
//     numbers of peaks per image, so that too few or too many peaks cost as
//     much as misplaced ones.
//   - Dice (paired sets only): 1 − the mean over n of the normalized Dice
//     coefficient (Eq. 10): 0 for a perfect reconstruction, about 1 for
//     one no better than random.
//
// For the binned Wasserstein distances the mass of a bin sits at its centre in
// log10, and the mass below (above) the edges half a bin below (above)
// them, so values outside the reference's range cost at least as much as
// values in its extreme bins.
//
// Score = PixelPDF + MeanDensity + PowerSpectrum + PeakCounts, the number
// to minimize when choosing a checkpoint: every term is in decades and
// zero for a perfect match, so none dominates by its units, and each
// catches failures the others miss (the PDF a wrong contrast, the mean
// density mode collapse, the spectrum wrong scales, the peaks missing
// halos). It leaves Dice out so that GAN checkpoints (unpaired) and
// autoencoder checkpoints are ranked alike.
type Distances struct {
	PixelPDF      float64  `json:"pixel_pdf"`
	MeanDensity   float64  `json:"mean_density"`
	PowerSpectrum float64  `json:"power_spectrum"`
	PeakCounts    float64  `json:"peak_counts"`
	Dice          *float64 `json:"dice,omitempty"`
	Score         float64  `json:"score"`
}

// tinyPower floors spectra before taking logs, so that a flat image (zero
// power) is far from, not infinitely far from, a textured one.
const tinyPower = 1e-30

// Distance compares the estimators of two sets computed with the same
// Binning; dice may be nil (unpaired sets).
func Distance(ref, fake *Stats, dice *Dice) (Distances, error) {
	if !slices.Equal(ref.PixelPDF.Edges, fake.PixelPDF.Edges) || !slices.Equal(ref.MeanDensity.Edges, fake.MeanDensity.Edges) ||
		!slices.Equal(ref.PeakCounts.Edges, fake.PeakCounts.Edges) || !slices.Equal(ref.PowerSpectrum.Nu, fake.PowerSpectrum.Nu) {
		return Distances{}, fmt.Errorf("eval: statistics computed with different bins or sizes cannot be compared")
	}
	var d Distances
	d.PixelPDF = logW1(ref.PixelPDF.Edges, ref.PixelPDF.masses(), fake.PixelPDF.masses())
	d.MeanDensity = sampleLogW1(ref.Means, fake.Means)
	for b, m := range ref.PowerSpectrum.Median {
		r := math.Log10(math.Max(fake.PowerSpectrum.Median[b], tinyPower) / math.Max(m, tinyPower))
		d.PowerSpectrum += r * r
	}
	d.PowerSpectrum = math.Sqrt(d.PowerSpectrum / float64(len(ref.PowerSpectrum.Median)))
	d.PeakCounts = peakDistance(ref, fake)
	if dice != nil {
		x := 1.0
		for _, v := range dice.Normalized {
			x -= v / float64(len(dice.Normalized))
		}
		d.Dice = &x
	}
	d.Score = d.PixelPDF + d.MeanDensity + d.PowerSpectrum + d.PeakCounts
	return d, nil
}

// masses returns below, the bin fractions and above, in order.
func (h Histogram) masses() []float64 { return withTails(h.Below, h.Fraction, h.Above) }

// masses returns below, the bin counts and above, in order.
func (p PeakCounts) masses() []float64 { return withTails(p.Below, p.MeanCount, p.Above) }

func withTails(below float64, bins []float64, above float64) []float64 {
	return slices.Concat([]float64{below}, bins, []float64{above})
}

func peakDistance(ref, fake *Stats) float64 {
	a, b := ref.PeakCounts.masses(), fake.PeakCounts.masses()
	// At least one peak in the whole set, so that a set without peaks is
	// far from, not infinitely far from, one with some.
	na := math.Max(sum(a), 1/float64(ref.Images))
	nb := math.Max(sum(b), 1/float64(fake.Images))
	for i := range a {
		a[i] /= na
	}
	for i := range b {
		b[i] /= nb
	}
	return logW1(ref.PeakCounts.Edges, a, b) + math.Abs(math.Log10(nb/na))
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// logW1 is the 1-Wasserstein distance in log10 between two distributions
// on the bins of edges, each given as masses (below, one per bin, above)
// that add up to 1 (or both to 0): the integral of the absolute difference
// of their cumulative distributions.
func logW1(edges, a, b []float64) float64 {
	k := len(edges) - 1
	x := make([]float64, k+2) // where each mass sits
	for j := range k {
		x[j+1] = (math.Log10(edges[j]) + math.Log10(edges[j+1])) / 2
	}
	x[0] = math.Log10(edges[0]) - (x[1] - math.Log10(edges[0]))
	x[k+1] = math.Log10(edges[k]) + (math.Log10(edges[k]) - x[k])
	w, ca, cb := 0.0, 0.0, 0.0
	for i := range k + 1 {
		ca, cb = ca+a[i], cb+b[i]
		w += math.Abs(ca-cb) * (x[i+1] - x[i])
	}
	return w
}

// sampleLogW1 is the 1-Wasserstein distance between the empirical
// distributions of log10 of the samples a and b (each floored at
// tinyPower): the integral of |F_a − F_b| between consecutive sorted values.
func sampleLogW1(a, b []float64) float64 {
	la, lb := sortedLogs(a), sortedLogs(b)
	w, i, j := 0.0, 0, 0
	x := math.Min(la[0], lb[0])
	for i < len(la) || j < len(lb) {
		var next float64
		if j == len(lb) || (i < len(la) && la[i] <= lb[j]) {
			next = la[i]
		} else {
			next = lb[j]
		}
		w += math.Abs(float64(i)/float64(len(la))-float64(j)/float64(len(lb))) * (next - x)
		x = next
		for i < len(la) && la[i] == x {
			i++
		}
		for j < len(lb) && lb[j] == x {
			j++
		}
	}
	return w
}

func sortedLogs(xs []float64) []float64 {
	l := make([]float64, len(xs))
	for i, x := range xs {
		l[i] = math.Log10(math.Max(x, tinyPower))
	}
	slices.Sort(l)
	return l
}

package eval

import (
	"fmt"
	"math"
	"slices"
)

// Distances reduce each estimator to one number. Most are 0 when the two
// sets agree and grow as they part, in decades (powers of ten), the unit of
// the log axes the paper reads its figures on:
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
//   - LogFieldSpectrum: the same for the spectra of the log field (the
//     networks' space, see Stats.LogFieldSpectrum), which resolves what
//     the brightest pixels hide from the linear one, a checkerboard
//     included. LogFieldQuarter and LogFieldHalf are the largest
//     |ratio − 1| of its medians over ν <= N/4 and ν <= N/2: the form of
//     the acceptance bounds (a fraction, not decades).
//   - PeakCounts: PeakHeights, the 1-Wasserstein distance in log10 height
//     between the peak-height distributions, plus |log10 PeakNumber|, so
//     that too few or too many peaks cost as much as misplaced ones.
//   - Dice (paired sets only): 1 − the mean over n of the normalized Dice
//     coefficient (Eq. 10): 0 for a perfect reconstruction, about 1 for
//     one no better than random.
//
// The ratios, candidate over reference, are 1 when the sets agree:
// PeakNumber of the mean numbers of peaks per image; SpectrumSpread of the
// spreads of the log-field spectra, LogMAD summed over ν; Collapse of the
// nearest-neighbour distances (Stats.Nearest: generated samples that are
// near-copies of each other bring it towards 0); Memorization, with a
// training set, of the distances to the nearest training crop (samples
// that copy training crops bring it towards 0). A ratio with a zero
// denominator is 0.
//
// For the binned Wasserstein distances the mass of a bin sits at its centre in
// log10, and the mass below (above) the edges half a bin below (above)
// them, so values outside the reference's range cost at least as much as
// values in its extreme bins.
//
// Score is the number to minimize when choosing a checkpoint: PixelPDF,
// MeanDensity, PowerSpectrum, PeakCounts and LogFieldSpectrum, each divided
// by its noise floor (Floors.Median, at least MinFloor), so that every term
// counts in units of the reference's own noise: a term at its floor adds
// about 1, whatever the estimator. Each catches failures the others miss
// (the PDF a wrong contrast, the mean density mode collapse, the spectra
// wrong scales and a checkerboard, the peaks missing halos). It leaves
// Dice out so that GAN checkpoints (unpaired) and autoencoder checkpoints
// are ranked alike, and the ratios, which the acceptance table judges.
// Sum is the score before floors existed: the unweighted sum of the four
// linear-density distances, kept to compare with earlier runs.
type Distances struct {
	PixelPDF         float64  `json:"pixel_pdf"`
	MeanDensity      float64  `json:"mean_density"`
	PowerSpectrum    float64  `json:"power_spectrum"`
	LogFieldSpectrum float64  `json:"log_field_spectrum"`
	LogFieldQuarter  float64  `json:"log_field_max_quarter"`
	LogFieldHalf     float64  `json:"log_field_max_half"`
	PeakCounts       float64  `json:"peak_counts"`
	PeakHeights      float64  `json:"peak_heights"`
	PeakNumber       float64  `json:"peak_number_ratio"`
	SpectrumSpread   float64  `json:"spectrum_spread_ratio"`
	Collapse         float64  `json:"collapse_ratio"`
	Memorization     *float64 `json:"memorization_ratio,omitempty"`
	Dice             *float64 `json:"dice,omitempty"`
	Score            float64  `json:"score"`
	Sum              float64  `json:"sum"`
}

// MinFloor, in decades, stands in for a smaller noise floor in Score, so
// that a reference whose halves agree exactly (a single field copied, or
// too few images) does not make a term infinite. It is well below the
// floors of real data: 0.01 to 0.3 decades for 800 crops of 32 fields.
const MinFloor = 1e-3

// distanceFields lists the scalars of Distances that have noise floors:
// the name the report gives each, how to reach it (nil where it is absent),
// whether it is a ratio (1 at agreement) rather than a distance (0), and
// whether it is a term of Score.
var distanceFields = []struct {
	name          string
	get           func(*Distances) *float64
	ratio, scored bool
}{
	{"pixel PDF, W1 in log₁₀ ρ", func(d *Distances) *float64 { return &d.PixelPDF }, false, true},
	{"mean density, W1 in log₁₀ ρ̄", func(d *Distances) *float64 { return &d.MeanDensity }, false, true},
	{"P(k) of ρ, RMS log₁₀ ratio of medians", func(d *Distances) *float64 { return &d.PowerSpectrum }, false, true},
	{"P(k) of the log field, RMS log₁₀ ratio", func(d *Distances) *float64 { return &d.LogFieldSpectrum }, false, true},
	{"P(k) of the log field, max |ratio − 1|, ν ≤ N/4", func(d *Distances) *float64 { return &d.LogFieldQuarter }, false, false},
	{"P(k) of the log field, max |ratio − 1|, ν ≤ N/2", func(d *Distances) *float64 { return &d.LogFieldHalf }, false, false},
	{"peak counts, W1 of heights + |log₁₀ number ratio|", func(d *Distances) *float64 { return &d.PeakCounts }, false, true},
	{"peak heights, W1 in log₁₀ ρ", func(d *Distances) *float64 { return &d.PeakHeights }, false, false},
	{"number of peaks, ratio", func(d *Distances) *float64 { return &d.PeakNumber }, true, false},
	{"spread of log-field P(k), ratio", func(d *Distances) *float64 { return &d.SpectrumSpread }, true, false},
	{"nearest other sample, ratio", func(d *Distances) *float64 { return &d.Collapse }, true, false},
	{"nearest training crop, ratio", func(d *Distances) *float64 { return d.Memorization }, true, false},
	{"score, Σ distance / floor", func(d *Distances) *float64 { return &d.Score }, false, false},
	{"sum of the four linear-density distances", func(d *Distances) *float64 { return &d.Sum }, false, false},
}

// tinyPower floors spectra before taking logs, so that a flat image (zero
// power) is far from, not infinitely far from, a textured one.
const tinyPower = 1e-30

// Distance compares the estimators of two sets computed with the same
// Binning; dice may be nil (unpaired sets). floor holds the noise floors
// that weigh Score, the Median of the reference's Floors.
func Distance(ref, fake *Stats, dice *Dice, floor Distances) (Distances, error) {
	if !slices.Equal(ref.PixelPDF.Edges, fake.PixelPDF.Edges) || !slices.Equal(ref.MeanDensity.Edges, fake.MeanDensity.Edges) ||
		!slices.Equal(ref.PeakCounts.Edges, fake.PeakCounts.Edges) || !slices.Equal(ref.PowerSpectrum.Nu, fake.PowerSpectrum.Nu) {
		return Distances{}, fmt.Errorf("eval: statistics computed with different bins or sizes cannot be compared")
	}
	d := distances(ref, fake)
	if dice != nil {
		x := 1.0
		for _, v := range dice.Normalized {
			x -= v / float64(len(dice.Normalized))
		}
		d.Dice = &x
	}
	d.weigh(floor)
	return d, nil
}

// distances computes every field of Distances but Dice and Score.
func distances(ref, fake *Stats) Distances {
	var d Distances
	d.PixelPDF = logW1(ref.PixelPDF.Edges, ref.PixelPDF.masses(), fake.PixelPDF.masses())
	d.MeanDensity = sampleLogW1(ref.Means, fake.Means)
	d.PowerSpectrum = rmsLogRatio(ref.PowerSpectrum.Median, fake.PowerSpectrum.Median)
	rl, fl := ref.LogFieldSpectrum.Median, fake.LogFieldSpectrum.Median
	d.LogFieldSpectrum = rmsLogRatio(rl, fl)
	d.LogFieldQuarter = maxRatioDeviation(rl[:len(rl)/2], fl)
	d.LogFieldHalf = maxRatioDeviation(rl, fl)
	d.PeakHeights, d.PeakNumber = peakDistance(ref, fake)
	d.PeakCounts = d.PeakHeights + math.Abs(math.Log10(d.PeakNumber))
	d.SpectrumSpread = ratio(sum(fake.LogFieldSpectrum.LogMAD), sum(ref.LogFieldSpectrum.LogMAD))
	d.Collapse = ratio(fake.Nearest, ref.Nearest)
	if ref.NearestTrain != nil && fake.NearestTrain != nil {
		m := ratio(*fake.NearestTrain, *ref.NearestTrain)
		d.Memorization = &m
	}
	d.Sum = d.PixelPDF + d.MeanDensity + d.PowerSpectrum + d.PeakCounts
	return d
}

// weigh sets d.Score from the scored distances and their floors.
func (d *Distances) weigh(floor Distances) {
	d.Score = 0
	for _, f := range distanceFields {
		if f.scored {
			d.Score += *f.get(d) / math.Max(*f.get(&floor), MinFloor)
		}
	}
}

// rmsLogRatio is the root mean square of log10(b_i / a_i), each floored at
// tinyPower.
func rmsLogRatio(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		r := math.Log10(math.Max(b[i], tinyPower) / math.Max(x, tinyPower))
		s += r * r
	}
	return math.Sqrt(s / float64(len(a)))
}

// maxRatioDeviation is the largest |b_i / a_i − 1| over the i of a, each
// floored at tinyPower.
func maxRatioDeviation(a, b []float64) float64 {
	m := 0.0
	for i, x := range a {
		m = math.Max(m, math.Abs(math.Max(b[i], tinyPower)/math.Max(x, tinyPower)-1))
	}
	return m
}

// masses returns below, the bin fractions and above, in order.
func (h Histogram) masses() []float64 { return withTails(h.Below, h.Fraction, h.Above) }

// masses returns below, the bin counts and above, in order.
func (p PeakCounts) masses() []float64 { return withTails(p.Below, p.MeanCount, p.Above) }

func withTails(below float64, bins []float64, above float64) []float64 {
	return slices.Concat([]float64{below}, bins, []float64{above})
}

// peakDistance returns the 1-Wasserstein distance in log10 between the
// peak-height distributions and the ratio of the mean numbers of peaks
// per image, fake over ref.
func peakDistance(ref, fake *Stats) (heights, number float64) {
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
	return logW1(ref.PeakCounts.Edges, a, b), nb / na
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

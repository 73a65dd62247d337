package eval

import (
	"math"
	"slices"
)

// Histogram is a binned distribution over Edges: Fraction[j] of all items
// (pixels, or images for the mean density) fall in bin j, e_j <= v < e_(j+1).
// Below and Above are the fractions outside the edges (zero densities are
// Below): they are in the denominator but in no bin.
type Histogram struct {
	Edges    []float64 `json:"edges"`
	Fraction []float64 `json:"fraction"`
	Below    float64   `json:"-"`
	Above    float64   `json:"-"`
}

// Spectrum is the power spectrum of Eq. (8) over a set: for each ν in Nu
// (1 … N/2), the median over images of P_i(ν) and the median absolute
// deviation, the median of |P_i(ν) − Median(ν)|.
type Spectrum struct {
	Nu     []int     `json:"nu"`
	Median []float64 `json:"median"`
	MAD    []float64 `json:"mad"`
}

// PeakCounts is the mean number of peaks per image in each bin of peak
// height; Below and Above are the mean numbers per image outside the edges.
type PeakCounts struct {
	Edges     []float64 `json:"edges"`
	MeanCount []float64 `json:"mean_count"`
	Below     float64   `json:"-"`
	Above     float64   `json:"-"`
}

// Stats holds the estimators of §4.1 for one set, in the layout of the
// report's "real" and "fake" objects.
type Stats struct {
	PixelPDF      Histogram  `json:"pixel_pdf"`
	MeanDensity   Histogram  `json:"mean_density"`
	PowerSpectrum Spectrum   `json:"power_spectrum"`
	PeakCounts    PeakCounts `json:"peak_counts"`
	// Images is the number of images of the set, Means the mean density
	// of each, in order.
	Images int       `json:"-"`
	Means  []float64 `json:"-"`
}

// Estimate computes the pixel PDF, the mean density distribution, the
// power spectrum and the peak counts of s in one pass over its images, with
// the edges of b, on threads goroutines (<= 0: all cores). The result does
// not depend on threads. A value that is not a finite density >= 0 is an
// error wrapping data.ErrBadInput that names the image and the pixel.
func Estimate(s Set, b Binning, threads int) (*Stats, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	nw := workers(threads, s.Count)
	plan := newSpectrumPlan(s.Side, s.Dim)
	offs := neighbours(s.Side, s.Dim)
	pixBins, peakBins := newBinner(b.Pixel), newBinner(b.Peak)
	scratch := newScratch(s, threads)
	type worker struct {
		spec         *spectrumWork
		pixels, peak []int64 // below, bins…, above
	}
	ws := make([]worker, nw)
	for w := range ws {
		ws[w] = worker{plan.newWork(), make([]int64, len(b.Pixel)+1), make([]int64, len(b.Peak)+1)}
	}
	means := make([]float64, s.Count)
	spectra := make([]float64, s.Count*len(plan.modes))
	err := forEach(threads, s.Count, func(w, i int) error {
		img, err := s.density(i, scratch[w])
		if err != nil {
			return err
		}
		wk := &ws[w]
		sum := 0.0
		for _, v := range img {
			sum += float64(v)
			wk.pixels[pixBins.bin(v)+1]++
		}
		means[i] = sum / float64(len(img))
		wk.spec.power(img, spectra[i*len(plan.modes):(i+1)*len(plan.modes)])
		findPeaks(img, s.Side, s.Dim, offs, func(v float32) { wk.peak[peakBins.bin(v)+1]++ })
		return nil
	})
	if err != nil {
		return nil, err
	}
	pixels := make([]int64, len(b.Pixel)+1)
	peaks := make([]int64, len(b.Peak)+1)
	for _, wk := range ws {
		addInts(pixels, wk.pixels)
		addInts(peaks, wk.peak)
	}
	meanCounts := make([]int64, len(b.Mean)+1)
	for _, m := range means {
		meanCounts[binOf(b.Mean, m)+1]++
	}
	st := &Stats{
		PixelPDF:      histogram(b.Pixel, pixels, float64(s.Count)*float64(s.Pixels())),
		MeanDensity:   histogram(b.Mean, meanCounts, float64(s.Count)),
		PowerSpectrum: medianSpectrum(spectra, s.Count, len(plan.modes)),
		Images:        s.Count,
		Means:         means,
	}
	ph := histogram(b.Peak, peaks, float64(s.Count))
	st.PeakCounts = PeakCounts{Edges: ph.Edges, MeanCount: ph.Fraction, Below: ph.Below, Above: ph.Above}
	return st, nil
}

func addInts(dst, src []int64) {
	for j, c := range src {
		dst[j] += c
	}
}

// histogram turns counts (below, one per bin, above) into a Histogram of
// counts divided by total.
func histogram(edges []float64, counts []int64, total float64) Histogram {
	k := len(edges) - 1
	h := Histogram{Edges: slices.Clone(edges), Fraction: make([]float64, k),
		Below: float64(counts[0]) / total, Above: float64(counts[k+1]) / total}
	for j := range k {
		h.Fraction[j] = float64(counts[j+1]) / total
	}
	return h
}

// medianSpectrum reduces per-image spectra (m rows of bins values) to the
// median and MAD per bin.
func medianSpectrum(spectra []float64, m, bins int) Spectrum {
	sp := Spectrum{Nu: make([]int, bins), Median: make([]float64, bins), MAD: make([]float64, bins)}
	col := make([]float64, m)
	for b := range bins {
		sp.Nu[b] = b + 1
		for i := range m {
			col[i] = spectra[i*bins+b]
		}
		med := median(col)
		for i := range m {
			col[i] = math.Abs(spectra[i*bins+b] - med)
		}
		sp.Median[b], sp.MAD[b] = med, median(col)
	}
	return sp
}

// median sorts xs and returns its median, the mean of the two middle
// values for an even length (numpy's convention).
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

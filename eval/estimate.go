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
// (1 … N/2), the median over images of P_i(ν), the median absolute
// deviation, the median of |P_i(ν) − Median(ν)|, and LogMAD, the same
// deviation of log10 P_i(ν): the spread of the spectra in decades, which
// too alike samples (mode collapse) narrow.
type Spectrum struct {
	Nu     []int     `json:"nu"`
	Median []float64 `json:"median"`
	MAD    []float64 `json:"mad"`
	LogMAD []float64 `json:"log_mad"`
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
// report's "real" and "fake" objects, and cosmogan's own in the networks'
// space: the log-field spectrum and the nearest-neighbour distances.
type Stats struct {
	PixelPDF      Histogram `json:"pixel_pdf"`
	MeanDensity   Histogram `json:"mean_density"`
	PowerSpectrum Spectrum  `json:"power_spectrum"`
	// LogFieldSpectrum is the power spectrum of the values in the
	// networks' space (ln ρ up to an affine map, see Set.logSpace). The
	// spectrum of linear density in small crops follows their brightest
	// pixels; this one weighs filaments and voids as much, and shows a
	// generator's checkerboard at high ν.
	LogFieldSpectrum Spectrum   `json:"log_field_spectrum"`
	PeakCounts       PeakCounts `json:"peak_counts"`
	// Nearest is the median over images of the RMS distance per pixel, in
	// the networks' space, from each image to its nearest other image of
	// the set; with group labels from at least two groups, to its nearest
	// image of another group. Too alike samples (mode collapse) make it
	// small. 0 for a set of one image.
	Nearest float64 `json:"nearest"`
	// NearestTrain is the median over images of the same distance to the
	// nearest crop of the training set, when one was given: a generator
	// that reproduces its training crops makes it small.
	NearestTrain *float64 `json:"nearest_train,omitempty"`
	// Images is the number of images of the set, Means the mean density
	// of each, in order.
	Images int       `json:"-"`
	Means  []float64 `json:"-"`
}

// Estimate computes the pixel PDF, the mean density distribution, the two
// power spectra, the peak counts and the nearest-neighbour distance of s,
// with the edges of b, on threads goroutines (<= 0: all cores). The result
// does not depend on threads. A value that is not a finite density >= 0 is
// an error wrapping data.ErrBadInput that names the image and the pixel.
func Estimate(s Set, b Binning, threads int) (*Stats, error) {
	m, err := measure(s, b, nil, threads)
	if err != nil {
		return nil, err
	}
	return m.stats(allImages(s.Count)), nil
}

// perImage is what the estimators measure of each image of a set, so that
// the Stats of any subset of its images (half the reference, for a noise
// floor) is a reduction, with no second pass over the pixels.
type perImage struct {
	b      Binning
	pixels int     // per image
	bins   int     // of the spectra, N/2
	pix    []int64 // per image: pixels below the edges, in each bin, above
	peak   []int64 // per image: peaks below, in each bin, above
	means  []float64
	// spectra and logSpectra hold P_i(ν) of the density and of the log
	// field, one row of bins per image.
	spectra, logSpectra []float64
	dist                []float64 // RMS distances between images, see rmsDistances
	labels              []int     // the set's group labels, or nil
	train               []float64 // distance to the nearest training crop, or nil
}

// measure makes one pass over the images of s for the estimators, and
// finds the distances between its images and, unless train is nil (the
// training crops in the networks' space), to the nearest training crop.
func measure(s Set, b Binning, train []float32, threads int) (*perImage, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	plan := newSpectrumPlan(s.Side, s.Dim)
	offs := neighbours(s.Side, s.Dim)
	pixBins, peakBins := newBinner(b.Pixel), newBinner(b.Peak)
	scratch := newScratch(s, threads)
	work := make([]*spectrumWork, len(scratch))
	for w := range work {
		work[w] = plan.newWork()
	}
	np, nk, nb := len(b.Pixel)+1, len(b.Peak)+1, len(plan.modes)
	m := &perImage{b: b, pixels: s.Pixels(), bins: nb, labels: s.Groups,
		pix: make([]int64, s.Count*np), peak: make([]int64, s.Count*nk), means: make([]float64, s.Count),
		spectra: make([]float64, s.Count*nb), logSpectra: make([]float64, s.Count*nb)}
	err := forEach(threads, s.Count, func(w, i int) error {
		img, err := s.density(i, scratch[w])
		if err != nil {
			return err
		}
		pix, peak := m.pix[i*np:(i+1)*np], m.peak[i*nk:(i+1)*nk]
		sum := 0.0
		for _, v := range img {
			sum += float64(v)
			pix[pixBins.bin(v)+1]++
		}
		m.means[i] = sum / float64(len(img))
		findPeaks(img, s.Side, s.Dim, offs, func(v float32) { peak[peakBins.bin(v)+1]++ })
		work[w].power(img, m.spectra[i*nb:(i+1)*nb])
		work[w].power(s.logField(i, scratch[w]), m.logSpectra[i*nb:(i+1)*nb])
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := logValues(s, threads) // a copy only of linear density
	if err != nil {
		return nil, err
	}
	m.dist = rmsDistances(vals, nil, m.pixels, threads)
	if train != nil {
		m.train = rowMins(rmsDistances(vals, train, m.pixels, threads), s.Count)
	}
	return m, nil
}

// allImages is 0 … m−1.
func allImages(m int) []int {
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// stats reduces the measures of the images idx (in increasing order) to
// their Stats.
func (m *perImage) stats(idx []int) *Stats {
	np, nk := len(m.b.Pixel)+1, len(m.b.Peak)+1
	pixels, peaks := make([]int64, np), make([]int64, nk)
	meanCounts := make([]int64, len(m.b.Mean)+1)
	means := make([]float64, len(idx))
	for k, i := range idx {
		addInts(pixels, m.pix[i*np:(i+1)*np])
		addInts(peaks, m.peak[i*nk:(i+1)*nk])
		means[k] = m.means[i]
		meanCounts[binOf(m.b.Mean, means[k])+1]++
	}
	n := float64(len(idx))
	st := &Stats{
		PixelPDF:         histogram(m.b.Pixel, pixels, n*float64(m.pixels)),
		MeanDensity:      histogram(m.b.Mean, meanCounts, n),
		PowerSpectrum:    medianSpectrum(m.spectra, m.bins, idx),
		LogFieldSpectrum: medianSpectrum(m.logSpectra, m.bins, idx),
		Nearest:          medianFinite(nearestOther(m.dist, len(m.means), m.labels, idx)),
		Images:           len(idx),
		Means:            means,
	}
	ph := histogram(m.b.Peak, peaks, n)
	st.PeakCounts = PeakCounts{Edges: ph.Edges, MeanCount: ph.Fraction, Below: ph.Below, Above: ph.Above}
	if m.train != nil {
		t := make([]float64, len(idx))
		for k, i := range idx {
			t[k] = m.train[i]
		}
		nt := median(t)
		st.NearestTrain = &nt
	}
	return st
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

// medianSpectrum reduces the per-image spectra of the images idx (rows of
// bins values) to the median, MAD and MAD of log10 per bin.
func medianSpectrum(spectra []float64, bins int, idx []int) Spectrum {
	sp := Spectrum{Nu: make([]int, bins), Median: make([]float64, bins), MAD: make([]float64, bins), LogMAD: make([]float64, bins)}
	col := make([]float64, len(idx))
	for b := range bins {
		sp.Nu[b] = b + 1
		sp.Median[b], sp.MAD[b] = medianMAD(col, func(k int) float64 { return spectra[idx[k]*bins+b] })
		_, sp.LogMAD[b] = medianMAD(col, func(k int) float64 { return math.Log10(math.Max(spectra[idx[k]*bins+b], tinyPower)) })
	}
	return sp
}

// medianMAD fills col with x(k), k < len(col), and returns its median and
// median absolute deviation.
func medianMAD(col []float64, x func(k int) float64) (med, mad float64) {
	for k := range col {
		col[k] = x(k)
	}
	med = median(col)
	for k := range col {
		col[k] = math.Abs(x(k) - med)
	}
	return med, median(col)
}

// median sorts xs and returns its median, the mean of the two middle
// values for an even length (numpy's convention).
func median(xs []float64) float64 { return quantile(xs, 0.5) }

// quantile sorts xs and returns its q-quantile, interpolated linearly
// between the two nearest values (numpy's default): the median at q = 0.5
// is exactly the mean of the two middle values of an even length.
func quantile(xs []float64, q float64) float64 {
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	i := int(pos)
	f := pos - float64(i)
	if f == 0 {
		return xs[i]
	}
	return xs[i]*(1-f) + xs[i+1]*f
}

package eval

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/data"
)

// Dice is the Sørensen–Dice overlap of the top-n% pixels of paired images
// (Eqs. 9–11), one entry per n in TopPercent (5, 10, …, 95). The top-n% set
// of an image is its k = round(n/100·P) largest pixels (ties broken by
// position, so it has exactly k), and O_ab = 2·N_ab/(N_a + N_b) = N_ab/k.
// Mean and Std are over the pairs (population standard deviation);
// RandomMean (r) and RandomStd (σ_r) are the same over random pairs of
// distinct images of the reference set; Normalized is (Mean − r)/(1 − r),
// Eq. (10), and Significance (Mean − r)/σ_r, Eq. (11), each 0 where its
// denominator is 0.
type Dice struct {
	TopPercent   []int     `json:"top_percent"`
	Mean         []float64 `json:"mean"`
	Std          []float64 `json:"std"`
	RandomMean   []float64 `json:"random_mean"`
	RandomStd    []float64 `json:"random_std"`
	Normalized   []float64 `json:"normalized"`
	Significance []float64 `json:"significance"`
}

// DiceSeed seeds the draw of the random pairs, so reports are reproducible.
const DiceSeed = 2021

// diceTops are the n of the top-n% sets.
var diceTops = func() []int {
	var t []int
	for n := 5; n < 100; n += 5 {
		t = append(t, n)
	}
	return t
}()

// DiceOverlap compares image i of fake with image i of ref for every i, and
// image i of ref with a random other image of ref (drawn with DiceSeed) for
// the baseline. The sets must have the same shape and count, at least 2.
func DiceOverlap(ref, fake Set, threads int) (*Dice, error) {
	for _, s := range []Set{ref, fake} {
		if err := s.check(); err != nil {
			return nil, err
		}
	}
	if err := sameGeometry(ref, fake); err != nil {
		return nil, err
	}
	if ref.Count != fake.Count {
		return nil, fmt.Errorf("paired sets of %d and %d images, want the same count: %w", ref.Count, fake.Count, data.ErrBadInput)
	}
	m, p := ref.Count, ref.Pixels()
	if m < 2 {
		return nil, fmt.Errorf("paired sets of 1 image, want at least 2 for the random-pair baseline: %w", data.ErrBadInput)
	}
	ks := make([]int, len(diceTops))
	for t, n := range diceTops {
		ks[t] = (n*p + 50) / 100
	}
	rnd := rand.New(rand.NewPCG(DiceSeed, 0))
	partner := make([]int, m)
	for i := range partner {
		partner[i] = (i + 1 + rnd.IntN(m-1)) % m
	}
	nt := len(ks)
	pairs, random := make([]float64, m*nt), make([]float64, m*nt)
	type worker struct {
		rs, fs, ps []float32
		la, lb, lc []uint8
		sort       *ranker
		histo      []int
	}
	ws := make([]*worker, workers(threads, m))
	for w := range ws {
		ws[w] = &worker{rs: newBuf(ref, p), fs: newBuf(fake, p), ps: newBuf(ref, p),
			la: make([]uint8, p), lb: make([]uint8, p), lc: make([]uint8, p), sort: newRanker(p), histo: make([]int, nt+1)}
	}
	err := forEach(threads, m, func(w, i int) error {
		wk := ws[w]
		a, err := ref.density(i, wk.rs)
		if err != nil {
			return fmt.Errorf("reference set: %w", err)
		}
		b, err := fake.density(i, wk.fs)
		if err != nil {
			return fmt.Errorf("candidate set: %w", err)
		}
		c, err := ref.density(partner[i], wk.ps)
		if err != nil {
			return fmt.Errorf("reference set: %w", err)
		}
		wk.sort.levels(a, ks, wk.la)
		wk.sort.levels(b, ks, wk.lb)
		wk.sort.levels(c, ks, wk.lc)
		overlap(wk.la, wk.lb, ks, wk.histo, pairs[i*nt:(i+1)*nt])
		overlap(wk.la, wk.lc, ks, wk.histo, random[i*nt:(i+1)*nt])
		return nil
	})
	if err != nil {
		return nil, err
	}
	d := &Dice{TopPercent: append([]int(nil), diceTops...)}
	for t := range nt {
		mo, so := meanStd(pairs, t, nt)
		mr, sr := meanStd(random, t, nt)
		d.Mean, d.Std = append(d.Mean, mo), append(d.Std, so)
		d.RandomMean, d.RandomStd = append(d.RandomMean, mr), append(d.RandomStd, sr)
		d.Normalized = append(d.Normalized, ratio(mo-mr, 1-mr))
		d.Significance = append(d.Significance, ratio(mo-mr, sr))
	}
	return d, nil
}

// newBuf is a density buffer for s.density: none when s needs no inverse.
func newBuf(s Set, p int) []float32 {
	if s.Transform == data.None {
		return nil
	}
	return make([]float32, p)
}

// overlap writes O(t) = N_ab(t)/k_t for two images' levels: a pixel is in
// both top sets t exactly when the larger of its two levels is <= t.
func overlap(la, lb []uint8, ks, histo []int, out []float64) {
	clear(histo)
	for j, a := range la {
		histo[max(a, lb[j])]++
	}
	nab := 0
	for t, k := range ks {
		nab += histo[t]
		out[t] = float64(nab) / float64(k)
	}
}

// meanStd returns the mean and population standard deviation of column t of
// a row-major table of nt columns, summed in row order.
func meanStd(table []float64, t, nt int) (mean, std float64) {
	m := len(table) / nt
	for i := range m {
		mean += table[i*nt+t]
	}
	mean /= float64(m)
	for i := range m {
		d := table[i*nt+t] - mean
		std += d * d
	}
	return mean, math.Sqrt(std / float64(m))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

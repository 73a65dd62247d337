package eval

import "fmt"

// Report is the content of report.json: the estimators of the reference
// ("real") and candidate ("fake") sets on the same bins, their distances,
// and for paired sets the Dice overlap.
type Report struct {
	Real      *Stats    `json:"real"`
	Fake      *Stats    `json:"fake"`
	Distances Distances `json:"distances"`
	Dice      *Dice     `json:"dice,omitempty"`
}

// Options tunes the comparison; the zero value is the default.
type Options struct {
	// Threads is the number of goroutines, <= 0 for all cores. Results do
	// not depend on it.
	Threads int
	// PixelBins and MeanBins are the numbers of log-spaced bins of the
	// pixel PDF (and peak heights) and of the mean density distribution;
	// <= 0 for DefaultPixelBins and DefaultMeanBins.
	PixelBins, MeanBins int
}

// Reference is a reference set (held-out test crops) with its bins and
// estimators computed once, to compare many candidate sets against, e.g.
// the samples of every checkpoint. It keeps a view of the set for Dice, so
// the set's data must not change while the Reference is used.
type Reference struct {
	Set     Set
	Binning Binning
	Stats   *Stats
	opt     Options
}

// NewReference computes the bins and estimators of ref.
func NewReference(ref Set, opt Options) (*Reference, error) {
	b, err := NewBinning(ref, opt.PixelBins, opt.MeanBins, opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("reference set: %w", err)
	}
	st, err := Estimate(ref, b, opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("reference set: %w", err)
	}
	return &Reference{Set: ref, Binning: b, Stats: st, opt: opt}, nil
}

// Compare estimates fake on the reference's bins and measures its
// distances; with paired, image i of fake is the counterpart of image i of
// the reference (an autoencoder's reconstruction) and the Dice overlap is
// added. Input errors wrap data.ErrBadInput.
func (r *Reference) Compare(fake Set, paired bool) (*Report, error) {
	if err := sameGeometry(r.Set, fake); err != nil {
		return nil, err
	}
	st, err := Estimate(fake, r.Binning, r.opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("candidate set: %w", err)
	}
	rep := &Report{Real: r.Stats, Fake: st}
	if paired {
		if rep.Dice, err = DiceOverlap(r.Set, fake, r.opt.Threads); err != nil {
			return nil, err
		}
	}
	if rep.Distances, err = Distance(r.Stats, st, rep.Dice); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	return rep, nil
}

// Compare is NewReference(ref, opt) followed by Compare(fake, paired).
func Compare(ref, fake Set, paired bool, opt Options) (*Report, error) {
	r, err := NewReference(ref, opt)
	if err != nil {
		return nil, err
	}
	return r.Compare(fake, paired)
}

package eval

import (
	"fmt"

	"github.com/cosmogan/cosmogan/data"
)

// Report is the content of report.json: the estimators of the reference
// ("real") and candidate ("fake") sets on the same bins, their distances,
// the reference's noise floors, the acceptance table, and for paired sets
// the Dice overlap.
type Report struct {
	Real       *Stats    `json:"real"`
	Fake       *Stats    `json:"fake"`
	Distances  Distances `json:"distances"`
	Floors     Floors    `json:"floors"`
	Acceptance []Check   `json:"acceptance"`
	Dice       *Dice     `json:"dice,omitempty"`
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
	// Train, when not nil, is a set of training crops (any count, the
	// reference's shape and networks' space) for the memorization check:
	// each candidate image's distance to its nearest training crop against
	// each reference image's. Its data must not change while a Reference
	// made with it is used.
	Train *Set
}

// Reference is a reference set (held-out crops: the validation crops that
// training's evaluations compare against, or test crops) with its bins,
// estimators and noise floors computed once, to compare many candidate
// sets against, e.g. the samples of every checkpoint. It keeps a view of
// the set for Dice and of the training set, so their data must not change
// while the Reference is used.
type Reference struct {
	Set     Set
	Binning Binning
	Stats   *Stats
	Floors  Floors
	opt     Options
	train   []float32 // the training crops in the networks' space, or nil
}

// NewReference computes the bins, estimators and noise floors of ref, and
// with opt.Train the distance from each of its images to the nearest
// training crop. Label ref.Groups with the field of each image: floors
// split by image (Floors.ByImage) underestimate the noise of crops cut from
// a few fields. It takes O(M²) memory and O(M²·P) time for M images of P
// pixels (the nearest neighbours), and O(M·T·P) with T training crops.
func NewReference(ref Set, opt Options) (*Reference, error) {
	b, err := NewBinning(ref, opt.PixelBins, opt.MeanBins, opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("reference set: %w", err)
	}
	var train []float32
	if opt.Train != nil {
		if err := opt.Train.check(); err != nil {
			return nil, fmt.Errorf("training set: %w", err)
		}
		if err := sameSpace(ref, *opt.Train); err != nil {
			return nil, fmt.Errorf("training set: %w", err)
		}
		if train, err = logValues(*opt.Train, opt.Threads); err != nil {
			return nil, fmt.Errorf("training set: %w", err)
		}
	}
	m, err := measure(ref, b, train, opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("reference set: %w", err)
	}
	return &Reference{Set: ref, Binning: b, Stats: m.stats(allImages(ref.Count)), Floors: m.floors(), opt: opt, train: train}, nil
}

// sameSpace reports sets that cannot be compared: another shape, or another
// networks' space (see Set.logSpace), where nearest-neighbour distances
// would be in other units.
func sameSpace(a, b Set) error {
	if err := sameGeometry(a, b); err != nil {
		return err
	}
	if a.logSpace() != b.logSpace() {
		return fmt.Errorf("values in the space of %v and of %v, want the same transform: %w", a.logSpace(), b.logSpace(), data.ErrBadInput)
	}
	return nil
}

// Compare estimates fake on the reference's bins and measures its
// distances, weighed by the reference's floors, and the acceptance table;
// with paired, image i of fake is the counterpart of image i of the
// reference (an autoencoder's reconstruction) and the Dice overlap is
// added. Input errors wrap data.ErrBadInput.
func (r *Reference) Compare(fake Set, paired bool) (*Report, error) {
	if err := sameSpace(r.Set, fake); err != nil {
		return nil, err
	}
	m, err := measure(fake, r.Binning, r.train, r.opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("candidate set: %w", err)
	}
	rep := &Report{Real: r.Stats, Fake: m.stats(allImages(fake.Count)), Floors: r.Floors}
	if paired {
		if rep.Dice, err = DiceOverlap(r.Set, fake, r.opt.Threads); err != nil {
			return nil, err
		}
	}
	if rep.Distances, err = Distance(r.Stats, rep.Fake, rep.Dice, r.Floors.Median); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	rep.Acceptance = Acceptance(rep.Distances, r.Floors)
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

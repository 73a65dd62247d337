package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"

	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/sim"
)

// cropSet is where the crops of one split come from: fields, each whole
// (independent realizations) or restricted to a slab of axis 0 (one field cut
// into splits).
type cropSet struct {
	fields []*data.Field
	slab   *data.Slab // nil: whole fields
}

// draw fills dst with n crops (random field, position and symmetry) from rng.
func (c cropSet) draw(dst []float32, size, n int, rng *rand.Rand) {
	m := len(dst) / n
	for b := 0; b < n; b++ {
		c.crop(dst[b*m:(b+1)*m], size, rng)
	}
}

// crop draws one crop.
func (c cropSet) crop(dst []float32, size int, rng *rand.Rand) {
	f := c.fields[rng.IntN(len(c.fields))]
	if c.slab != nil {
		f.RandomCropIn(dst, size, *c.slab, rng)
		return
	}
	f.RandomCrop(dst, size, rng)
}

// splits of the dataset, in the order the data stage writes them.
var splits = []string{"train", "validation", "test"}

func (d DataConfig) count(split string) int {
	return map[string]int{"train": d.TrainFields, "validation": d.ValidationFields, "test": d.TestFields}[split]
}

// fieldPath is the file of field i of a split.
func (r *runner) fieldPath(split string, i int) string {
	return r.dir.path("data", fmt.Sprintf("%s_%03d.npy", split, i))
}

// makeData writes the dataset (rank 0). Fields already written (the stage
// was interrupted) are kept: each is deterministic for its seed, and written
// atomically.
func (r *runner) makeData() error {
	dc, dim := r.cfg.Data, r.cfg.Model.Dim
	meta := map[string]any{"source": dc.Source, "transform": dc.Transform.String(), "seed": r.cfg.Seed}
	if dc.Source == "field" {
		meta["density"] = "as in data.path (cosmogan prepare assigns particles per pixel)"
		in, err := data.HashFile(dc.Path)
		if err != nil {
			return fmt.Errorf("data.path: %w", err)
		}
		meta["input"] = in
		meta["test_fraction"], meta["validation_fraction"] = dc.TestFraction, dc.ValidationFraction
		return writeJSON(r.dir.path("data", "meta.json"), meta)
	}
	shape := make([]int, dim)
	for i := range shape {
		shape[i] = dc.Grid
	}
	k := 0 // realization index across the splits: no two fields share a seed
	for _, split := range splits {
		for i := 0; i < dc.count(split); i, k = i+1, k+1 {
			path := r.fieldPath(split, i)
			if _, err := os.Stat(path); err == nil {
				continue
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			rho, err := r.makeField(k)
			if err != nil {
				return err
			}
			dc.Transform.Forward(rho, rho)
			if err := data.WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(rho))); err != nil {
				return err
			}
			r.log.Info().Str("file", path).Int("of", dc.TrainFields+dc.ValidationFields+dc.TestFields).Msg("field written")
		}
	}
	meta["density"] = densityUnit
	meta["grid"], meta["dim"] = dc.Grid, dim
	for _, split := range splits {
		meta[split+"_fields"] = dc.count(split)
	}
	switch dc.Source {
	case "simulation":
		meta["simulation"], meta["assign"] = dc.simConfig(dim), dc.Assign
		meta["realization_seeds"] = "sim.RealizationSeed(seed, k), k = 0, 1, … over train, validation, test"
	case "lognormal":
		meta["slope"], meta["sigma"] = dc.Slope, dc.Sigma
	}
	return writeJSON(r.dir.path("data", "meta.json"), meta)
}

// densityUnit is what the fields of the data stage hold before the
// transform, as data/meta.json says.
const densityUnit = "rho/rho_mean: each field divided by its own mean before the transform"

// makeField makes realization k of the configured source, in units of its
// mean density (ρ/ρ̄).
func (r *runner) makeField(k int) ([]float32, error) {
	dc, dim := r.cfg.Data, r.cfg.Model.Dim
	seed := sim.RealizationSeed(r.cfg.Seed, k)
	var rho []float32
	if dc.Source == "lognormal" {
		rho = sim.LognormalDensity(dim, dc.Grid, dc.Slope, dc.Sigma, 1, seed)
	} else {
		s, err := sim.New(dc.simConfig(dim), seed, r.team.Threads())
		if err != nil {
			return nil, &ConfigError{err}
		}
		s.Run()
		scheme, _ := data.ParseScheme(dc.Assign) // validated with the configuration
		if rho, err = s.Density(scheme, dc.Grid); err != nil {
			return nil, err
		}
	}
	return rho, divideByMean(rho)
}

// divideByMean turns a density field into units of its mean, ρ/ρ̄, the unit
// Eq. 1's bounds (0.01, 600) are meant for: a simulation's particles per
// pixel equal it only at one particle per pixel (the paper's 2D maps have
// four). A field is a whole periodic box (crops wrap around it), so its mean
// is ρ̄; dividing by the field's own mean rather than by the particles per
// pixel also takes out DTFE's departure from mass conservation (it samples
// the density at pixel centres: 1–2% on 256² maps of 256² or 512² particles,
// up to 12% on the 64² maps of configs/tiny.toml). A field whose mean is not
// positive is an error.
func divideByMean(rho []float32) error {
	var sum float64
	for _, v := range rho {
		sum += float64(v)
	}
	mean := sum / float64(len(rho))
	if !(mean > 0) || math.IsInf(mean, 0) {
		return fmt.Errorf("mean density %g, want a positive finite mean to divide by: %w", mean, data.ErrBadInput)
	}
	inv := float32(1 / mean)
	for i := range rho {
		rho[i] *= inv
	}
	return nil
}

// loadData reads the fields of the data stage into the three crop sets.
func (r *runner) loadData() error {
	if r.train.fields != nil {
		return nil
	}
	dc := r.cfg.Data
	if dc.Source == "field" {
		f, err := r.readField(dc.Path)
		if err != nil {
			return err
		}
		sp, err := data.SplitSlabs(f.N, r.cfg.Model.Size, dc.TestFraction, dc.ValidationFraction)
		if err != nil {
			return fmt.Errorf("%s: %w", dc.Path, err)
		}
		fields := []*data.Field{f}
		r.train, r.val, r.test = cropSet{fields, &sp.Train}, cropSet{fields, &sp.Validation}, cropSet{fields, &sp.Test}
		return nil
	}
	sets := map[string]*cropSet{"train": &r.train, "validation": &r.val, "test": &r.test}
	for _, split := range splits {
		for i := 0; i < dc.count(split); i++ {
			f, err := r.readField(r.fieldPath(split, i))
			if err != nil {
				return err
			}
			sets[split].fields = append(sets[split].fields, f)
		}
	}
	return nil
}

func (r *runner) readField(path string) (*data.Field, error) {
	t, err := data.ReadNPY(path)
	if err != nil {
		return nil, err
	}
	f, err := data.FieldFromTensor(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, err, data.ErrBadInput)
	}
	if f.Dim != r.cfg.Model.Dim || f.N < r.cfg.Model.Size {
		return nil, fmt.Errorf("%s: a %dD field of side %d cannot give %dD crops of side %d: %w", path, f.Dim, f.N, r.cfg.Model.Dim, r.cfg.Model.Size, data.ErrBadInput)
	}
	for _, v := range f.Data {
		if v-v != 0 {
			return nil, fmt.Errorf("%s: holds NaN or infinite values: %w", path, data.ErrBadInput)
		}
	}
	return f, nil
}

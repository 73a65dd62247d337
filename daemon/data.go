package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
// atomically. When ctx is done it stops within a simulation step.
func (r *runner) makeData(ctx context.Context) error {
	dc, dim := r.cfg.Data, r.cfg.Model.Dim
	meta := map[string]any{"source": dc.Source, "transform": dc.Transform.String(), "seed": r.cfg.Seed}
	if dc.Source == "field" {
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
			rho, err := r.makeField(ctx, k)
			if ctx.Err() != nil {
				return stopped(ctx, stageData, fmt.Sprintf("%d fields", k))
			}
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
	meta["grid"], meta["dim"] = dc.Grid, dim
	for _, split := range splits {
		meta[split+"_fields"] = dc.count(split)
	}
	switch dc.Source {
	case "simulation":
		meta["simulation"], meta["assign"] = dc.simConfig(dim), dc.Assign
		meta["realization_seeds"] = "sim.RealizationSeed(seed, k), k = 0, 1, … over train, validation, test"
	case "lognormal":
		meta["slope"], meta["sigma"], meta["mean_density"] = dc.Slope, dc.Sigma, dc.MeanDensity
	}
	return writeJSON(r.dir.path("data", "meta.json"), meta)
}

// makeField makes realization k of the configured source, in particles per
// pixel.
func (r *runner) makeField(ctx context.Context, k int) ([]float32, error) {
	dc, dim := r.cfg.Data, r.cfg.Model.Dim
	seed := sim.RealizationSeed(r.cfg.Seed, k)
	if dc.Source == "lognormal" {
		return sim.LognormalDensity(dim, dc.Grid, dc.Slope, dc.Sigma, dc.MeanDensity, seed), nil
	}
	s, err := sim.New(dc.simConfig(dim), seed, r.team.Threads())
	if err != nil {
		return nil, &ConfigError{err}
	}
	if err := s.RunContext(ctx); err != nil {
		return nil, err
	}
	scheme, _ := data.ParseScheme(dc.Assign) // validated with the configuration
	return s.Density(scheme, dc.Grid)
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

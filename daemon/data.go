package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"

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

// draw fills dst with n crops (random field, position and symmetry) from rng
// and returns the field each came from: the evaluation's noise floors split
// crops by field, since crops of one field are correlated.
func (c cropSet) draw(dst []float32, size, n int, rng *rand.Rand) []int {
	m := len(dst) / n
	fields := make([]int, n)
	for b := range fields {
		fields[b] = c.crop(dst[b*m:(b+1)*m], size, rng)
	}
	return fields
}

// crop draws one crop and returns the index of its field.
func (c cropSet) crop(dst []float32, size int, rng *rand.Rand) int {
	i := rng.IntN(len(c.fields))
	if c.slab != nil {
		c.fields[i].RandomCropIn(dst, size, *c.slab, rng)
		return i
	}
	c.fields[i].RandomCrop(dst, size, rng)
	return i
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

// makeData writes the dataset (rank 0), data/meta.json first. Fields already
// written (the stage was interrupted) are kept: each is deterministic for its
// seed, or for its input file, which must not have changed since. When ctx is
// done it stops within a simulation step.
func (r *runner) makeData(ctx context.Context) error {
	dc, dim := r.cfg.Data, r.cfg.Model.Dim
	meta := map[string]any{"source": dc.Source, "transform": dc.Transform.String(), "seed": r.cfg.Seed}
	metaPath := r.dir.path("data", "meta.json")
	if dc.Source == SourceField {
		meta["density"] = "as in data.path (cosmogan prepare assigns particles per pixel)"
		in, err := data.HashFile(dc.Path)
		if err != nil {
			return fmt.Errorf("data.path: %w", err)
		}
		meta["input"] = in
		meta["test_fraction"], meta["validation_fraction"] = dc.TestFraction, dc.ValidationFraction
		return writeJSON(metaPath, meta)
	}
	meta["density"] = densityUnit
	meta["dim"] = dim
	for _, split := range splits {
		meta[split+"_fields"] = dc.count(split)
	}
	side, makeField := dc.Grid, r.makeField
	switch dc.Source {
	case SourceSimulation:
		meta["simulation"], meta["assign"] = dc.simConfig(dim), dc.Assign
		meta["realization_seeds"] = "sim.RealizationSeed(seed, k), k = 0, 1, … over train, validation, test"
	case SourceLognormal:
		meta["slope"], meta["sigma"] = dc.Slope, dc.Sigma
	case SourceFiles:
		inputs, n, err := r.assignFiles()
		if err != nil {
			return err
		}
		if err := sameInputs(metaPath, dc.Path, inputs); err != nil {
			return err
		}
		side, meta["path"], meta["inputs"] = n, dc.Path, inputs
		meta["assignment"] = "a permutation of the sorted matches of path drawn from the seed: the first train_fields train, the next validation_fields validate, the next test_fields test"
		flat := slices.Concat(inputs[splits[0]], inputs[splits[1]], inputs[splits[2]]) // in the order of k
		makeField = func(_ context.Context, k int) ([]float32, error) {
			f, err := r.readDensity(flat[k].Path)
			if err != nil {
				return nil, err
			}
			return f.Data, nil
		}
	}
	meta["grid"] = side
	if err := writeJSON(metaPath, meta); err != nil {
		return err
	}
	shape := make([]int, dim)
	for i := range shape {
		shape[i] = side
	}
	k := 0 // field index across the splits: no two fields share a seed or a file
	for _, split := range splits {
		for i := 0; i < dc.count(split); i, k = i+1, k+1 {
			path := r.fieldPath(split, i)
			if _, err := os.Stat(path); err == nil {
				continue
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			rho, err := makeField(ctx, k)
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
	return nil
}

// densityUnit is what the fields of the data stage hold before the
// transform, as data/meta.json says.
const densityUnit = "rho/rho_mean: each field divided by its own mean before the transform"

// makeField makes realization k of the configured source, in units of its
// mean density (ρ/ρ̄).
func (r *runner) makeField(ctx context.Context, k int) ([]float32, error) {
	dc, dim := r.cfg.Data, r.cfg.Model.Dim
	seed := sim.RealizationSeed(r.cfg.Seed, k)
	var rho []float32
	if dc.Source == SourceLognormal {
		rho = sim.LognormalDensity(dim, dc.Grid, dc.Slope, dc.Sigma, 1, seed)
	} else {
		s, err := sim.New(dc.simConfig(dim), seed, r.team.Threads())
		if err != nil {
			return nil, &ConfigError{err}
		}
		if err := s.RunContext(ctx); err != nil {
			return nil, err
		}
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

// assignFiles lists the files data.path names (the .npy files of a directory,
// or the matches of a glob), assigns them to the splits by a permutation of
// their sorted paths drawn from the seed, and reads and checks every assigned
// file (readDensity), so that a bad one stops the data stage before anything
// is written. No file is in two splits, nor a copy of it (the same SHA-256).
// It returns the assigned files per split with their SHA-256, and their
// common side.
func (r *runner) assignFiles() (map[string][]data.InputFile, int, error) {
	dc := r.cfg.Data
	pattern := dc.Path
	if st, err := os.Stat(pattern); err == nil && st.IsDir() {
		pattern = filepath.Join(pattern, "*.npy")
	}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, 0, configErrorf("data.path = %q: %v", dc.Path, err)
	}
	sort.Strings(paths)
	need := dc.TrainFields + dc.ValidationFields + dc.TestFields
	if len(paths) < need {
		return nil, 0, configErrorf("data.path = %q: %s matches %d files, want at least data.train_fields + validation_fields + test_fields = %d + %d + %d = %d (whole files go to one split each)",
			dc.Path, pattern, len(paths), dc.TrainFields, dc.ValidationFields, dc.TestFields, need)
	}
	order := newStreamFor(r.cfg.Seed, "files").fixed().Perm(len(paths))
	inputs := map[string][]data.InputFile{}
	seen := map[string]string{} // SHA-256 → path
	var first *data.Field
	var firstPath string
	k := 0
	for _, split := range splits {
		for range dc.count(split) {
			path := paths[order[k]]
			k++
			f, err := r.readDensity(path)
			if err != nil {
				return nil, 0, err
			}
			if first == nil {
				first, firstPath = f, path
			} else if f.N != first.N {
				return nil, 0, fmt.Errorf("data.path = %q: %s has side %d, %s side %d: want one shape for all files (one pixel scale): %w",
					dc.Path, firstPath, first.N, path, f.N, data.ErrBadInput)
			}
			in, err := data.HashFile(path)
			if err != nil {
				return nil, 0, err
			}
			if other, ok := seen[in.SHA256]; ok {
				return nil, 0, fmt.Errorf("data.path = %q: %s and %s hold the same bytes: one field would be used twice: %w", dc.Path, other, path, data.ErrBadInput)
			}
			seen[in.SHA256] = path
			inputs[split] = append(inputs[split], in)
		}
	}
	r.log.Info().Str("path", dc.Path).Int("files", len(paths)).Int("used", need).Msg("input files assigned to the splits")
	return inputs, first.N, nil
}

// sameInputs refuses to continue a data stage whose input files changed since
// it started: metaPath, written before the first field, records the files of
// every split with their SHA-256, and the fields already written came from
// them. Once the data stage is done the run reads only its own copies.
func sameInputs(metaPath, pattern string, inputs map[string][]data.InputFile) error {
	b, err := os.ReadFile(metaPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var started struct {
		Inputs map[string][]data.InputFile `json:"inputs"`
	}
	if err := json.Unmarshal(b, &started); err != nil {
		return fmt.Errorf("%s: %v", metaPath, err)
	}
	for _, split := range splits {
		was := started.Inputs[split]
		for i, in := range inputs[split] {
			if i >= len(was) || in.Path != was[i].Path || in.SHA256 != was[i].SHA256 {
				old := "nothing"
				if i < len(was) {
					old = fmt.Sprintf("%s (sha256 %s)", was[i].Path, was[i].SHA256)
				}
				return fmt.Errorf("data.path = %q: %s field %d is now %s (sha256 %s), the run started with %s (%s): the input files changed; restore them or start a new run_dir: %w",
					pattern, split, i, in.Path, in.SHA256, old, metaPath, data.ErrBadInput)
			}
		}
	}
	return nil
}

// readDensity reads an input field of the files source, checks it as
// readField does and for negative values (a density contrast ρ/ρ̄ − 1 is no
// density), and returns it in units of its mean.
func (r *runner) readDensity(path string) (*data.Field, error) {
	f, err := r.readField(path)
	if err != nil {
		if !errors.Is(err, data.ErrBadInput) {
			err = fmt.Errorf("data.path: %w: %w", err, data.ErrBadInput)
		}
		return nil, err
	}
	for i, v := range f.Data {
		if v < 0 {
			return nil, fmt.Errorf("%s: value %g at index %d: want a density ≥ 0 (particles per pixel or ρ/ρ̄, not the contrast ρ/ρ̄ − 1): %w", path, v, i, data.ErrBadInput)
		}
	}
	if err := divideByMean(f.Data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// loadData reads the fields of the data stage into the three crop sets.
func (r *runner) loadData() error {
	if r.train.fields != nil {
		return nil
	}
	dc := r.cfg.Data
	if dc.Source == SourceField {
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

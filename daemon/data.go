package daemon

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/sim"
)

// makeData writes the dataset (rank 0): independent fields for training and
// for testing, so that no test pixel is ever in a training crop.
func (r *runner) makeData() error {
	dc := r.cfg.Data
	dim := r.cfg.Model.Dim
	shape := make([]int, dim)
	for i := range shape {
		shape[i] = dc.Grid
	}
	for _, set := range []struct {
		name string
		n    int
	}{{"train", dc.TrainFields}, {"test", dc.TestFields}} {
		for i := 0; i < set.n; i++ {
			seed := newStreamFor(r.cfg.Seed, fmt.Sprintf("data/%s/%d", set.name, i)).fixed().Uint64()
			rho := sim.LognormalDensity(dim, dc.Grid, dc.Slope, dc.Sigma, dc.MeanDensity, seed)
			dc.Transform.Forward(rho, rho)
			path := r.dir.path("data", fmt.Sprintf("%s_%03d.npy", set.name, i))
			if err := data.WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(rho))); err != nil {
				return err
			}
			r.log.Info().Str("file", path).Msg("field written")
		}
	}
	meta := map[string]any{"source": dc.Source, "dim": dim, "grid": dc.Grid, "slope": dc.Slope, "sigma": dc.Sigma,
		"mean_density": dc.MeanDensity, "transform": dc.Transform.String(), "seed": r.cfg.Seed,
		"train_fields": dc.TrainFields, "test_fields": dc.TestFields,
		"note": "stand-in dataset: lognormal fields from a power-law Gaussian random field"}
	return writeJSON(r.dir.path("data", "meta.json"), meta)
}

// loadData reads the fields of the data stage.
func (r *runner) loadData() error {
	if r.train != nil {
		return nil
	}
	load := func(set string, n int) ([]*data.Field, error) {
		var fields []*data.Field
		for i := 0; i < n; i++ {
			path := r.dir.path("data", fmt.Sprintf("%s_%03d.npy", set, i))
			t, err := data.ReadNPY(path)
			if err != nil {
				return nil, err
			}
			f, err := data.FieldFromTensor(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if f.Dim != r.cfg.Model.Dim || f.N < r.cfg.Model.Size {
				return nil, fmt.Errorf("%s: a %dD field of side %d cannot give %dD crops of side %d: %w", path, f.Dim, f.N, r.cfg.Model.Dim, r.cfg.Model.Size, data.ErrBadInput)
			}
			fields = append(fields, f)
		}
		return fields, nil
	}
	var err error
	if r.train, err = load("train", r.cfg.Data.TrainFields); err != nil {
		return err
	}
	r.test, err = load("test", r.cfg.Data.TestFields)
	return err
}

// drawBatch fills dst with n random crops (random field, position and
// symmetry) drawn from rng.
func drawBatch(fields []*data.Field, dst []float32, size, n int, rng *rand.Rand) {
	m := len(dst) / n
	for b := 0; b < n; b++ {
		fields[rng.IntN(len(fields))].RandomCrop(dst[b*m:(b+1)*m], size, rng)
	}
}

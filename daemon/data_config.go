package daemon

import (
	"fmt"
	"path/filepath"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/sim"
)

// validate checks the keys of the configured source.
func (d DataConfig) validate(arch model.Arch) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if d.Source == SourceField {
		if d.Path == "" {
			bad("data.path is empty: source \"field\" needs a prepared .npy (cosmogan prepare)")
		}
		if !(d.TestFraction > 0 && d.ValidationFraction > 0 && d.TestFraction+d.ValidationFraction < 1) {
			bad("data.test_fraction = %g, data.validation_fraction = %g: want both > 0 with a sum < 1", d.TestFraction, d.ValidationFraction)
		}
		return errs
	}
	for key, v := range map[string]int{"data.train_fields": d.TrainFields,
		"data.validation_fields": d.ValidationFields, "data.test_fields": d.TestFields} {
		if v < 1 {
			bad("%s = %d, want ≥ 1", key, v)
		}
	}
	if d.Source == SourceFiles {
		if d.Path == "" {
			bad("data.path is empty: source \"files\" needs a directory or glob of .npy density fields")
		} else if _, err := filepath.Match(d.Path, ""); err != nil {
			bad("data.path = %q: %v", d.Path, err)
		}
		return errs // the files' side is checked when they are read
	}
	if d.Grid < 1 {
		bad("data.grid = %d, want ≥ 1", d.Grid)
	}
	if arch.Size > d.Grid {
		bad("model.size = %d is larger than data.grid = %d: crops must fit in a field", arch.Size, d.Grid)
	}
	switch d.Source {
	case SourceSimulation:
		scheme, err := data.ParseScheme(d.Assign)
		if err != nil {
			bad("data.assign = %q: want \"dtfe\" (2D), \"ngp\" or \"cic\"", d.Assign)
		} else if scheme == data.DTFE && arch.Dim != 2 {
			bad("data.assign = \"dtfe\" is 2D only, model.dim = %d: use \"ngp\" or \"cic\"", arch.Dim)
		}
		if err := d.simConfig(arch.Dim).Check(); err != nil {
			bad("data: %v", err)
		}
	case SourceLognormal:
		if d.Sigma <= 0 {
			bad("data.sigma = %g, want > 0", d.Sigma)
		}
	default:
		bad("data.source = %q, want %s", d.Source, quoted(sources))
	}
	return errs
}

// simConfig is the simulation the data keys describe.
func (d DataConfig) simConfig(dim int) sim.Config {
	return sim.Config{Dim: dim, Particles: d.Particles, Mesh: d.Mesh, Box: d.Box, ZStart: d.ZStart, ZEnd: d.ZEnd,
		Steps: d.SimSteps, Cosmology: d.Cosmology}
}

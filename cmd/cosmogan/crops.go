package main

import (
	"flag"
	"fmt"

	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/data"
)

// cropsCmd cuts crops from density fields: the held-out set that `cosmogan
// eval` compares a generator's samples against, in the networks' space.
func cropsCmd(fs *flag.FlagSet, w streams) func() error {
	in := fs.String("in", "", "density fields: a glob of .npy files ((N, N) or (N, N, N), particles per pixel or ρ/ρ̄), e.g. 'sims/sim_*_density.npy'")
	dim := fs.Int("dim", 2, "2 or 3")
	size := fs.Int("size", 64, "crop `side` in pixels (the model's size)")
	perField := fs.Int("per-field", 25, "`crops` cut from each field")
	seed := fs.Uint64("seed", 1, "random `seed` of the positions and symmetries")
	transform := fs.String("transform", "eq1", "`transform` applied after dividing each field by its mean: eq1 (2D), eq2 (3D) or none; use the run's data.transform")
	out := fs.String("out", "", "output `file` (.npy float32, (M, size, size[, size]), field after field)")
	return func() error {
		switch {
		case fs.NArg() > 0:
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		case *in == "" || *out == "":
			return usageError{"--in and --out are required"}
		case *dim != 2 && *dim != 3:
			return usageError{fmt.Sprintf("--dim %d: want 2 or 3", *dim)}
		}
		tr, err := data.ParseTransform(*transform)
		if err != nil {
			return usageError{"--transform: " + err.Error()}
		}
		crops, files, err := daemon.CutCrops(*in, *dim, *size, *perField, *seed, tr)
		if err != nil {
			return err
		}
		if err := daemon.WriteCrops(*out, *dim, *size, crops); err != nil {
			return err
		}
		fmt.Fprintf(w.err, "wrote %d crops of %d fields to %s (values: %s of ρ/ρ̄); compare with: cosmogan eval --real %s --real-fields %d --transform %s …\n",
			len(files)**perField, len(files), *out, tr, *out, len(files), tr)
		return nil
	}
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/eval"
)

// evalCmd compares a candidate set (generated or reconstructed fields) with a
// reference set using the estimators of §4.1 and writes the report.
func evalCmd(fs *flag.FlagSet) func() error {
	realPath := fs.String("real", "", "reference set `file`: .npy of float32 or float64, (M, N, N) images or (M, N, N, N) cubes")
	fakePath := fs.String("fake", "", "candidate set `file`: .npy of the same image shape (generated or reconstructed fields)")
	paired := fs.Bool("paired", false, "image i of --fake is the counterpart of image i of --real (same count): adds the Dice overlap (Eqs. 9–11)")
	transform := fs.String("transform", "none", "`transform` the values of both files carry: eq1 (2D, Eq. 1), eq2 (3D, Eq. 2) or none (linear density)")
	out := fs.String("out", "", "output `directory` for "+eval.ReportJSON+", "+eval.StatsPNG+", "+eval.DicePNG+", "+eval.SamplesPNG+" and "+eval.ReportHTML)
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores); results do not depend on it")
	return func() error {
		switch {
		case fs.NArg() > 0:
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		case *realPath == "" || *fakePath == "" || *out == "":
			return usageError{"--real, --fake and --out are required"}
		}
		tr, err := data.ParseTransform(*transform)
		if err != nil {
			return usageError{"--transform: " + err.Error()}
		}
		realSet, err := readSet(*realPath, tr)
		if err != nil {
			return err
		}
		fakeSet, err := readSet(*fakePath, tr)
		if err != nil {
			return err
		}
		ref, err := eval.NewReference(realSet, eval.Options{Threads: *threads})
		if err != nil {
			return fmt.Errorf("%s: %w", *realPath, err)
		}
		rep, err := ref.Compare(fakeSet, *paired)
		if err != nil {
			return fmt.Errorf("%s against %s: %w", *fakePath, *realPath, err)
		}
		page := eval.ReportPage{
			Title:     "cosmogan eval: " + filepath.Base(*fakePath) + " against " + filepath.Base(*realPath),
			RealName:  filepath.Base(*realPath),
			FakeName:  filepath.Base(*fakePath),
			RealDesc:  describe(realSet),
			FakeDesc:  describe(fakeSet),
			Transform: tr.String(),
		}
		if err := eval.WriteReport(*out, rep, realSet, fakeSet, page); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s: score %.4g (pixel PDF %.3g, mean density %.3g, power spectrum %.3g, peak counts %.3g)\n",
			filepath.Join(*out, eval.ReportHTML), rep.Distances.Score, rep.Distances.PixelPDF, rep.Distances.MeanDensity,
			rep.Distances.PowerSpectrum, rep.Distances.PeakCounts)
		return nil
	}
}

// readSet reads an .npy set; every failure is the user's file, so it wraps
// data.ErrBadInput and names the file.
func readSet(path string, tr data.Transform) (eval.Set, error) {
	t, err := data.ReadNPY(path)
	if err != nil {
		if errors.Is(err, data.ErrBadInput) {
			return eval.Set{}, err
		}
		return eval.Set{}, fmt.Errorf("%w: %w", err, data.ErrBadInput)
	}
	if t.IsScalar() { // eval.NewSet would see a float32 that is no []float32
		return eval.Set{}, fmt.Errorf("%s: a 0-dimensional array (one value), want (M, N, N) images or (M, N, N, N) cubes: %w", path, data.ErrBadInput)
	}
	s, err := eval.NewSet(t, tr)
	if err != nil {
		return eval.Set{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func describe(s eval.Set) string {
	if s.Dim == 3 {
		return fmt.Sprintf("%d cubes of %d³", s.Count, s.Side)
	}
	return fmt.Sprintf("%d images of %d²", s.Count, s.Side)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"text/tabwriter"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/eval"
	"gorgonia.org/tensor"
)

// evalCmd compares a candidate set (generated or reconstructed fields) with a
// reference set using the estimators of §4.1 and writes the report.
func evalCmd(fs *flag.FlagSet, _ streams) func() error {
	realPath := fs.String("real", "", "reference set `file`: .npy of float32 or float64, (M, N, N) images or (M, N, N, N) cubes")
	fakePath := fs.String("fake", "", "candidate set `file`: .npy of the same image shape (generated or reconstructed fields)")
	paired := fs.Bool("paired", false, "image i of --fake is the counterpart of image i of --real (same count): adds the Dice overlap (Eqs. 9–11)")
	transform := fs.String("transform", "none", "`transform` the values of both files carry: eq1 (2D, Eq. 1), eq2 (3D, Eq. 2) or none (linear density)")
	out := fs.String("out", "", "output `directory` for "+eval.ReportJSON+", "+eval.StatsPNG+", "+eval.DicePNG+", "+eval.SamplesPNG+" and "+eval.ReportHTML)
	fields := fs.Int("real-fields", 0, "the --real images were cut from `K` fields (simulations), in consecutive blocks of M/K: noise floors split the real set by field, and its crops' nearest neighbours are sought in other fields")
	groupsPath := fs.String("real-groups", "", "`file` (.npy of M whole numbers, float32 or float64) naming the field of each --real image, instead of --real-fields")
	trainPath := fs.String("train", "", "training crops `file` (.npy, same image shape and --transform) for the memorization check")
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores); results do not depend on it")
	return func() error {
		switch {
		case fs.NArg() > 0:
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		case *realPath == "" || *fakePath == "" || *out == "":
			return usageError{"--real, --fake and --out are required"}
		case *fields != 0 && *groupsPath != "":
			return usageError{"--real-fields and --real-groups both label the fields: give one"}
		case *fields < 0:
			return usageError{fmt.Sprintf("--real-fields %d, want a positive number of fields", *fields)}
		}
		tr, err := data.ParseTransform(*transform)
		if err != nil {
			return usageError{"--transform: " + err.Error()}
		}
		realSet, err := readSet(*realPath, tr)
		if err != nil {
			return err
		}
		if realSet.Groups, err = readGroups(*fields, *groupsPath, realSet.Count); err != nil {
			return err
		}
		fakeSet, err := readSet(*fakePath, tr)
		if err != nil {
			return err
		}
		opt := eval.Options{Threads: *threads}
		if *trainPath != "" {
			train, err := readSet(*trainPath, tr)
			if err != nil {
				return err
			}
			opt.Train = &train
		}
		ref, err := eval.NewReference(realSet, opt)
		if err != nil && opt.Train != nil {
			return fmt.Errorf("%s with training crops %s: %w", *realPath, *trainPath, err)
		} else if err != nil {
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
		w := fs.Output()
		fmt.Fprintf(w, "wrote %s: score %.4g (a half of the real set against the other: %.4g), unweighted sum %.4g\n",
			filepath.Join(*out, eval.ReportHTML), rep.Distances.Score, rep.Floors.Median.Score, rep.Distances.Sum)
		return printAcceptance(w, rep)
	}
}

// printAcceptance writes the acceptance table: each measure, its floor,
// its bound and whether it passes.
func printAcceptance(w io.Writer, rep *eval.Report) error {
	f := rep.Floors
	split := fmt.Sprintf("by field, %d fields", f.Groups)
	if f.ByImage {
		split = "by image: no field labels (--real-fields), so floors underestimate the noise"
	}
	fmt.Fprintf(w, "acceptance (floor: 90th percentile over %d splits of the real set into halves, %s):\n", f.Splits, split)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  measure\tvalue\tfloor\tbound\tpass")
	passed := 0
	for _, c := range rep.Acceptance {
		ok := "no"
		if c.Pass {
			ok, passed = "yes", passed+1
		}
		fmt.Fprintf(tw, "  %s\t%.4g\t%.4g\t%s\t%s\n", c.Name, c.Value, c.Floor, c.Bound(), ok)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of %d checks pass\n", passed, len(rep.Acceptance))
	return err
}

// readGroups returns the field label of each of m images: consecutive
// blocks of m/fields, or the whole numbers of the .npy file path, or nil
// when neither is given.
func readGroups(fields int, path string, m int) ([]int, error) {
	if fields > 0 {
		if m%fields != 0 {
			return nil, usageError{fmt.Sprintf("--real-fields %d does not divide the %d real images into equal blocks", fields, m)}
		}
		g := make([]int, m)
		for i := range g {
			g[i] = i / (m / fields)
		}
		return g, nil
	}
	if path == "" {
		return nil, nil
	}
	t, err := readNPY(path)
	if err != nil {
		return nil, err
	}
	if t.Dims() != 1 || t.Shape()[0] != m {
		return nil, fmt.Errorf("%s: shape %v, want (%d,), one field label per real image: %w", path, t.Shape(), m, data.ErrBadInput)
	}
	v := t.Data().([]float32)
	g := make([]int, m)
	for i, x := range v {
		if x != float32(math.Trunc(float64(x))) || math.Abs(float64(x)) > 1<<24 {
			return nil, fmt.Errorf("%s: label %d is %g, want a whole number (of magnitude at most 2^24): %w", path, i, x, data.ErrBadInput)
		}
		g[i] = int(x)
	}
	return g, nil
}

// readNPY reads an .npy file; every failure is the user's file, so it wraps
// data.ErrBadInput and names the file.
func readNPY(path string) (*tensor.Dense, error) {
	t, err := data.ReadNPY(path)
	if err != nil && !errors.Is(err, data.ErrBadInput) {
		return nil, fmt.Errorf("%w: %w", err, data.ErrBadInput)
	}
	return t, err
}

// readSet reads an .npy set, wrapping data.ErrBadInput and naming the file.
func readSet(path string, tr data.Transform) (eval.Set, error) {
	t, err := readNPY(path)
	if err != nil {
		return eval.Set{}, err
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

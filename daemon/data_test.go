package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/parallel"
	"github.com/cosmogan/cosmogan/sim"
)

// dataRunner is a runner that can run the data stage alone, in dir.
func dataRunner(t *testing.T, cfg Config, dir string) *runner {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	team := kernels.NewTeam(1)
	t.Cleanup(team.Close)
	return &runner{cfg: cfg, dir: runDir(dir), log: zerolog.Nop(), team: team}
}

// TestFieldsAreInUnitsOfTheMean makes the data of simulations with four
// particles per pixel (as the paper's 2D maps) and of lognormal fields: every
// field, back through Eq. 1, must have mean 1 (ρ/ρ̄), not 4 particles per
// pixel, and data/meta.json must say so.
func TestFieldsAreInUnitsOfTheMean(t *testing.T) {
	for _, source := range []string{"simulation", "lognormal"} {
		t.Run(source, func(t *testing.T) {
			cfg := tinyConfig(t)
			cfg.Data.Source = Source(source)
			cfg.Data.Particles, cfg.Data.Mesh = 2*cfg.Data.Grid, 4*cfg.Data.Grid
			dir := t.TempDir()
			if err := dataRunner(t, cfg, dir).makeData(context.Background()); err != nil {
				t.Fatal(err)
			}
			paths, _ := filepath.Glob(filepath.Join(dir, "data", "*.npy"))
			if len(paths) != cfg.Data.TrainFields+cfg.Data.ValidationFields+cfg.Data.TestFields {
				t.Fatalf("%d fields written: %v", len(paths), paths)
			}
			for _, path := range paths {
				v, err := readNPY(path)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Data.Transform.Inverse(v, v)
				var sum float64
				for _, x := range v {
					sum += float64(x)
				}
				if mean := sum / float64(len(v)); math.Abs(mean-1) > 1e-4 {
					t.Errorf("%s: mean density %g after the inverse transform, want 1 (ρ/ρ̄)", path, mean)
				}
			}
			if meta := string(mustRead(t, filepath.Join(dir, "data", "meta.json"))); !strings.Contains(meta, "rho/rho_mean") {
				t.Errorf("data/meta.json does not say the unit:\n%s", meta)
			}
		})
	}
}

// writeFields writes n lognormal density fields of side side and dimension
// dim, in particles per pixel (mean 4, as the paper's 2D maps), to
// dir/sim_NNNN_density.npy as cosmogan simulate names them, and returns dir.
func writeFields(t *testing.T, dir string, n, dim, side int) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		writeField(t, filepath.Join(dir, fmt.Sprintf("sim_%04d_density.npy", i)), dim, side,
			sim.LognormalDensity(dim, side, -2, 1, 4, uint64(100+i)))
	}
	return dir
}

func writeField(t *testing.T, path string, dim, side int, v []float32) {
	t.Helper()
	shape := make([]int, dim)
	for i := range shape {
		shape[i] = side
	}
	if err := data.WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))); err != nil {
		t.Fatal(err)
	}
}

// filesConfig is the tiny configuration on the files that glob matches.
func filesConfig(t *testing.T, glob string) Config {
	t.Helper()
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	cfg.Data.Source, cfg.Data.Path = "files", glob
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

type filesMeta struct {
	Density string                      `json:"density"`
	Grid    int                         `json:"grid"`
	Inputs  map[string][]data.InputFile `json:"inputs"`
}

func readFilesMeta(t *testing.T, dir string) filesMeta {
	t.Helper()
	var m filesMeta
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "data", "meta.json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFilesSource trains the tiny configuration end to end on six .npy
// fields in particles per pixel: four are assigned to the splits by file,
// none twice, as data/meta.json records with their SHA-256; each copy in the
// run directory is its input in units of its mean; the assignment depends
// only on the seed and the files.
func TestFilesSource(t *testing.T) {
	in := writeFields(t, filepath.Join(t.TempDir(), "sims"), 6, 2, 64)
	cfg := filesConfig(t, filepath.Join(in, "sim_*_density.npy"))
	dir := t.TempDir()
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	meta := readFilesMeta(t, dir)
	if meta.Density != densityUnit || meta.Grid != 64 {
		t.Errorf("data/meta.json: density %q, grid %d; want %q, 64", meta.Density, meta.Grid, densityUnit)
	}
	used := map[string]string{}
	for _, split := range splits {
		if len(meta.Inputs[split]) != cfg.Data.count(split) {
			t.Fatalf("%s: %d files recorded, want %d", split, len(meta.Inputs[split]), cfg.Data.count(split))
		}
		for i, f := range meta.Inputs[split] {
			if other, ok := used[f.Path]; ok {
				t.Errorf("%s is in %s and in %s", f.Path, other, split)
			}
			used[f.Path] = split
			h, err := data.HashFile(f.Path)
			if err != nil || h.SHA256 != f.SHA256 {
				t.Errorf("%s: recorded sha256 %s, file has %s (%v)", f.Path, f.SHA256, h.SHA256, err)
			}
			want, err := readNPY(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			if err := divideByMean(want); err != nil {
				t.Fatal(err)
			}
			got, err := readNPY(runDir(dir).path("data", fmt.Sprintf("%s_%03d.npy", split, i)))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Data.Transform.Inverse(got, got)
			for j := range want {
				if d := math.Abs(float64(got[j]/want[j] - 1)); d > 1e-5 {
					t.Fatalf("%s field %d, pixel %d: %g back through Eq. 1, input over its mean %g", split, i, j, got[j], want[j])
				}
			}
		}
	}
	// The same seed and files give the same assignment; the data stage of
	// another run directory shows it.
	again := t.TempDir()
	if err := dataRunner(t, cfg, again).makeData(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := readFilesMeta(t, again); !reflect.DeepEqual(m.Inputs, meta.Inputs) {
		t.Errorf("a second data stage assigned %v, the first %v", m.Inputs, meta.Inputs)
	}
}

// TestFilesSourceRefusesBadInput gives the files source each kind of bad
// input: the data stage must fail with exit status 2 and a message naming
// the glob or the file and what was expected, before writing any field.
func TestFilesSourceRefusesBadInput(t *testing.T) {
	const n = 4 // what configs/tiny.toml's splits need
	ones := func(side int) []float32 {
		v := make([]float32, side*side)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	for _, c := range []struct {
		name  string
		files int
		bad   func(dir string) // spoils the files of dir
		wants []string
	}{
		{"too few files", n - 1, nil, []string{"matches 3 files", "want at least", "= 4"}},
		{"negative density", n, func(dir string) {
			v := ones(64)
			v[5] = -0.5
			writeField(t, filepath.Join(dir, "sim_0001_density.npy"), 2, 64, v)
		}, []string{"sim_0001_density.npy", "-0.5 at index 5", "not the contrast"}},
		{"NaN", n, func(dir string) {
			v := ones(64)
			v[9] = float32(math.NaN())
			writeField(t, filepath.Join(dir, "sim_0002_density.npy"), 2, 64, v)
		}, []string{"sim_0002_density.npy", "NaN"}},
		{"smaller than a crop", n, func(dir string) {
			writeField(t, filepath.Join(dir, "sim_0000_density.npy"), 2, 8, ones(8))
		}, []string{"sim_0000_density.npy", "side 8", "crops of side 16"}},
		{"a 3D file", n, func(dir string) {
			writeField(t, filepath.Join(dir, "sim_0003_density.npy"), 3, 16, make([]float32, 16*16*16))
		}, []string{"sim_0003_density.npy", "3D field"}},
		{"two shapes", n, func(dir string) {
			writeField(t, filepath.Join(dir, "sim_0003_density.npy"), 2, 32, ones(32))
		}, []string{"side 64", "side 32", "one shape"}},
		{"a copy", n, func(dir string) {
			b := mustRead(t, filepath.Join(dir, "sim_0000_density.npy"))
			if err := os.WriteFile(filepath.Join(dir, "sim_0001_density.npy"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"sim_0000_density.npy", "sim_0001_density.npy", "same bytes"}},
		{"an empty field", n, func(dir string) {
			writeField(t, filepath.Join(dir, "sim_0002_density.npy"), 2, 64, make([]float32, 64*64))
		}, []string{"sim_0002_density.npy", "mean density 0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := writeFields(t, filepath.Join(t.TempDir(), "sims"), c.files, 2, 64)
			if c.bad != nil {
				c.bad(in)
			}
			dir := t.TempDir()
			err := dataRunner(t, filesConfig(t, in), dir).makeData(context.Background())
			if err == nil || ExitStatus(err) != 2 {
				t.Fatalf("error %v (exit status %d), want one with exit status 2", err, ExitStatus(err))
			}
			for _, want := range c.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if written, _ := filepath.Glob(filepath.Join(dir, "data", "*")); len(written) > 0 {
				t.Errorf("the data stage wrote %v before refusing", written)
			}
		})
	}
}

// TestFilesSourceRefusesChangedInputs resumes a data stage after one of its
// input files changed: the fields already written came from the old file, so
// the stage must stop and say which file changed.
func TestFilesSourceRefusesChangedInputs(t *testing.T) {
	in := writeFields(t, filepath.Join(t.TempDir(), "sims"), 4, 2, 64)
	cfg := filesConfig(t, in)
	dir := t.TempDir()
	if err := dataRunner(t, cfg, dir).makeData(context.Background()); err != nil {
		t.Fatal(err)
	}
	changed := readFilesMeta(t, dir).Inputs["test"][0].Path
	writeField(t, changed, 2, 64, sim.LognormalDensity(2, 64, -2, 1, 4, 999))
	os.Remove(runDir(dir).path("data", "test_000.npy")) // as if the stage had stopped before writing it
	err := dataRunner(t, cfg, dir).makeData(context.Background())
	if err == nil || ExitStatus(err) != 2 || !strings.Contains(err.Error(), changed) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("resumed data stage with a changed input: %v, want an exit-status-2 error naming %s", err, changed)
	}
}

// TestFilesConfigErrors: the files source needs data.path, a valid glob.
func TestFilesConfigErrors(t *testing.T) {
	for _, c := range []struct{ toml, want string }{
		{"[data]\nsource = \"files\"\n", "data.path is empty"},
		{"[data]\nsource = \"files\"\npath = \"sims/[x\"\n", `data.path = "sims/[x"`},
		{"[data]\nsource = \"file\"\n", `"files"`},
	} {
		_, err := ParseConfig("files.toml", []byte(c.toml))
		if err == nil || ExitStatus(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want a configuration error saying %q", c.toml, err, c.want)
		}
	}
}

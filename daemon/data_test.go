package daemon

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/cosmogan/cosmogan/kernels"
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
			cfg.Data.Source = source
			cfg.Data.Particles, cfg.Data.Mesh = 2*cfg.Data.Grid, 4*cfg.Data.Grid
			dir := t.TempDir()
			if err := dataRunner(t, cfg, dir).makeData(); err != nil {
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

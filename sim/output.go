package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// Output says what a batch of simulations writes.
type Output struct {
	Positions bool        // sim_NNNN_positions.npy: float32 (n, Dim), Mpc/h in [0, Box)
	Scheme    data.Scheme // density assignment of sim_NNNN_density.npy
	Grid      int         // its side in pixels; 0: no density file
}

// Meta is the provenance record of one simulation's output.
type Meta struct {
	Config      Config  `json:"config"`
	Seed        uint64  `json:"seed"` // seed of this realization (RealizationSeed of the batch seed)
	BatchSeed   uint64  `json:"batch_seed"`
	Index       int     `json:"index"`
	A           float64 `json:"scale_factor"`
	Redshift    float64 `json:"redshift"`
	Content     string  `json:"content"`
	CodeVersion string  `json:"code_version"`
}

// RealizationSeed is the seed of realization i of a batch seeded with seed:
// splitmix64 of the pair, so that batches with different seeds share no
// realization.
func RealizationSeed(seed uint64, i int) uint64 {
	z := seed*0x9e3779b97f4a7c15 + uint64(i) + 1
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// WriteBatch runs count independent simulations of cfg (realization i drawn
// from RealizationSeed(seed, i)) and writes into dir, for each, the files out
// asks for, each with its Meta sidecar (X.meta.json), then dir/meta.json
// describing the batch. done, if not nil, is called after each simulation.
// Files are written atomically; a failure leaves the simulations completed
// before it.
func WriteBatch(dir string, cfg Config, out Output, seed uint64, count, threads int, done func(i int)) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	if count < 1 || (!out.Positions && out.Grid < 1) {
		return fmt.Errorf("simulation: %d simulations writing positions %v and a density grid of %d, want at least one simulation and one output: %w",
			count, out.Positions, out.Grid, data.ErrBadInput)
	}
	if out.Grid > 0 && out.Scheme == data.DTFE && cfg.Dim != 2 {
		return fmt.Errorf("simulation: dtfe density of a %dD run, want 2D: %w", cfg.Dim, data.ErrBadInput)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range count {
		s, err := New(cfg, RealizationSeed(seed, i), threads)
		if err != nil {
			return err
		}
		s.Run()
		meta := Meta{Config: cfg, Seed: RealizationSeed(seed, i), BatchSeed: seed, Index: i, A: s.A, Redshift: 1/s.A - 1,
			CodeVersion: data.CodeVersion()}
		base := filepath.Join(dir, fmt.Sprintf("sim_%04d", i))
		if out.Positions {
			pos := make([]float32, len(s.Pos))
			for j, v := range s.Pos {
				pos[j] = float32(v)
			}
			meta.Content = "particle positions, Mpc/h, float32 (n, dim)"
			if err := data.WriteArray(base+"_positions.npy", []int{len(pos) / cfg.Dim, cfg.Dim}, pos, meta); err != nil {
				return err
			}
		}
		if out.Grid > 0 {
			rho, err := s.Density(out.Scheme, out.Grid)
			if err != nil {
				return err
			}
			meta.Content = fmt.Sprintf("density, particles per pixel, %s assignment on %d^%d pixels, axis a is coordinate a", out.Scheme, out.Grid, cfg.Dim)
			shape := make([]int, cfg.Dim)
			for a := range shape {
				shape[a] = out.Grid
			}
			if err := data.WriteArray(base+"_density.npy", shape, rho, meta); err != nil {
				return err
			}
		}
		if done != nil {
			done(i)
		}
	}
	b, err := json.MarshalIndent(map[string]any{
		"simulations": count, "batch_seed": seed, "config": cfg, "positions": out.Positions,
		"density": out.Scheme.String(), "grid": out.Grid, "code_version": data.CodeVersion(),
		"files": "sim_NNNN_positions.npy and sim_NNNN_density.npy, each with its .meta.json",
	}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, "meta.json"), append(b, '\n'))
}

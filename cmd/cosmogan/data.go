package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/sim"
)

func simulateCmd(fs *flag.FlagSet, w streams) func() error {
	cfg := sim.Default2D()
	dim := fs.Int("dim", 2, "2 (the paper's 2D maps) or 3")
	fs.IntVar(&cfg.Particles, "particles", 0, "particles per `axis` (default 256 in 2D, 128 in 3D)")
	fs.IntVar(&cfg.Mesh, "mesh", 0, "PM mesh `cells` per axis (default 2 × particles)")
	fs.Float64Var(&cfg.Box, "box", cfg.Box, "box side in `Mpc/h`")
	fs.Float64Var(&cfg.ZStart, "z-start", cfg.ZStart, "`redshift` of the Zel'dovich initial conditions")
	fs.Float64Var(&cfg.ZEnd, "z-end", cfg.ZEnd, "`redshift` at the end")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "leapfrog `steps`, uniform in ln a")
	fs.Float64Var(&cfg.Cosmology.OmegaM, "omega-m", cfg.Cosmology.OmegaM, "Ω_m")
	fs.Float64Var(&cfg.Cosmology.OmegaL, "omega-l", cfg.Cosmology.OmegaL, "Ω_Λ")
	fs.Float64Var(&cfg.Cosmology.OmegaB, "omega-b", cfg.Cosmology.OmegaB, "Ω_b (shape of the transfer function)")
	fs.Float64Var(&cfg.Cosmology.H, "hubble", cfg.Cosmology.H, "dimensionless Hubble constant `h` = H0 / (100 km/s/Mpc)")
	fs.Float64Var(&cfg.Cosmology.NS, "n-s", cfg.Cosmology.NS, "spectral index n_s")
	fs.Float64Var(&cfg.Cosmology.Sigma8, "sigma8", cfg.Cosmology.Sigma8, "σ8 at z = 0 (spheres in 3D, discs in 2D)")
	n := fs.Int("n", 1, "`number` of independent simulations")
	seed := fs.Uint64("seed", 1, "random `seed` (simulation i uses sim.RealizationSeed(seed, i))")
	out := fs.String("out", "sims", "output `directory`")
	positions := fs.Bool("positions", false, "write particle positions (sim_NNNN_positions.npy, float32 (n, dim))")
	field := fs.String("field", "", "density assignment `scheme` of sim_NNNN_density.npy: ngp, cic or dtfe (2D); default dtfe in 2D, ngp in 3D; \"none\" for no density file")
	grid := fs.Int("grid", 0, "density grid `side` in pixels (default: particles per axis)")
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores)")
	return func() error {
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		cfg.Dim = *dim
		if cfg.Particles == 0 {
			cfg.Particles = map[int]int{2: 256, 3: 128}[cfg.Dim]
		}
		if cfg.Mesh == 0 {
			cfg.Mesh = 2 * cfg.Particles
		}
		o := sim.Output{Positions: *positions, Grid: *grid}
		if o.Grid == 0 {
			o.Grid = cfg.Particles
		}
		switch name := *field; {
		case name == "none":
			o.Grid = 0
		case name == "":
			o.Scheme = map[bool]data.Scheme{true: data.DTFE, false: data.NGP}[cfg.Dim == 2]
		default:
			s, err := data.ParseScheme(name)
			if err != nil {
				return usageError{"--field: " + err.Error()}
			}
			o.Scheme = s
		}
		if *n > maxSimulations {
			return usageError{fmt.Sprintf("--n %d: want at most %d simulations (files are numbered sim_0000 to sim_%04d)", *n, maxSimulations, maxSimulations-1)}
		}
		if err := cfg.Check(); err != nil { // before sizes derived from a bad dimension
			return err
		}
		if err := checkMemory(simulationMemory(cfg, o)); err != nil {
			return err
		}
		return sim.WriteBatch(*out, cfg, o, *seed, *n, *threads, func(i int) {
			fmt.Fprintf(w.err, "simulation %d/%d written to %s\n", i+1, *n, *out)
		})
	}
}

// maxSimulations bounds simulate --n: the output files have four-digit
// numbers.
const maxSimulations = 10000

// simulationMemory estimates the memory of one simulation of cfg written as
// o: sim's own buffers (sim.Config.MemoryBytes), a float32 copy of the
// positions when they are written, and a float32 per density pixel. It
// returns what the estimate is of, for checkMemory.
func simulationMemory(cfg sim.Config, o sim.Output) (string, float64) {
	particles, mesh := cfg.MemoryBytes()
	if o.Positions {
		particles += cells(cfg.Particles, cfg.Dim) * 4 * float64(cfg.Dim)
	}
	grid := cells(o.Grid, cfg.Dim) * 4
	return fmt.Sprintf("--dim %d --particles %d --mesh %d --grid %d: one simulation (particles %s, mesh %s, density grid %s)",
		cfg.Dim, cfg.Particles, cfg.Mesh, o.Grid, formatBytes(particles), formatBytes(mesh), formatBytes(grid)), particles + mesh + grid
}

func prepareCmd(fs *flag.FlagSet, w streams) func() error {
	snapshot := fs.String("snapshot", "", "GADGET-2 or HDF5 snapshot `path` (a file, or the base name of snap.0, snap.1, … or snap.0.hdf5, snap.1.hdf5, …), told apart by content")
	types := fs.String("types", "1", "particle `types` of the snapshot, comma-separated (1 = dark matter; GADGET-2 has 0..5, HDF5 files as many as their header)")
	particles := fs.String("particles", "", "particle positions `file` (.npy, (n, 2) or (n, 3)), with --box")
	box := fs.Float64("box", 0, "box `side` of --particles, in the unit of the positions")
	field := fs.String("field", "", "density grid `file` (.npy, (N, N) or (N, N, N), ppp) to transform and smooth")
	grid := fs.Int("grid", 256, "assignment grid `side` in pixels")
	assign := fs.String("assign", "ngp", "mass `assignment`: ngp, cic or dtfe (2D)")
	transform := fs.String("transform", "none", "pixel `transform` before smoothing: none, eq1 (2D) or eq2 (3D)")
	smooth := fs.Float64("smooth", 0, "Gaussian `sigma` in grid pixels (0: none)")
	stride := fs.Int("stride", 1, "keep every `stride`-th pixel of the smoothed grid; --grid must divide by it")
	out := fs.String("out", "", "output `file` (.npy float32; provenance in OUT.meta.json)")
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores)")
	chunk := fs.Int("chunk", data.DefaultChunk, "particles read at a `time` (bounds memory)")
	return func() error {
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		if *out == "" {
			return usageError{"--out is required"}
		}
		if n := btoi(*snapshot != "") + btoi(*particles != "") + btoi(*field != ""); n != 1 {
			return usageError{"give exactly one of --snapshot, --particles, --field"}
		}
		o := data.PrepareOptions{Grid: *grid, Sigma: *smooth, Stride: *stride, Threads: *threads, Chunk: *chunk}
		var err error
		if o.Scheme, err = data.ParseScheme(*assign); err != nil {
			return usageError{"--assign: " + err.Error()}
		}
		if o.Transform, err = data.ParseTransform(*transform); err != nil {
			return usageError{"--transform: " + err.Error()}
		}
		var f *data.Field
		if *field != "" {
			f, err = data.FinishFile(*out, *field, o)
		} else {
			var p data.Particles
			if p, err = openParticles(*snapshot, *types, *particles, *box); err != nil {
				return err
			}
			what := fmt.Sprintf("--grid %d: a %d^%d float32 grid", *grid, *grid, p.Dim())
			if err := checkMemory(what, cells(*grid, p.Dim())*4); err != nil {
				return err
			}
			f, err = data.PrepareFile(*out, p, o)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w.err, "wrote %s: %v float32 (%s), provenance in %s\n", *out, f.Shape(), o.Transform, data.MetaPath(*out))
		return nil
	}
}

// openParticles opens the snapshot (of the given types) or, when snapshot
// is "", the particle array with its box.
func openParticles(snapshot, types, particles string, box float64) (data.Particles, error) {
	if snapshot == "" {
		return data.OpenParticlesNPY(particles, box)
	}
	mask, err := parseTypes(types)
	if err != nil {
		return nil, err
	}
	return data.OpenSnapshot(snapshot, mask)
}

// parseTypes reads a comma-separated list of particle types 0..7 into a bit
// mask; the snapshot reader refuses types its file does not have (GADGET-2
// has 6, SWIFT 7).
func parseTypes(s string) (uint8, error) {
	var mask uint8
	for _, f := range strings.Split(s, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || t < 0 || t > 7 {
			return 0, usageError{fmt.Sprintf("--types %q: want particle types 0..7, comma-separated", s)}
		}
		mask |= 1 << t
	}
	return mask, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

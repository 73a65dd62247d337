package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/rs/zerolog"
	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/eval"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/sim"
)

// rank is this process's rank; data parallelism across ranks comes with the
// parallel package, until then a run is one rank.
const rank = 0

// Run executes the run described by cfg in directory dir, or continues it if
// dir holds an unfinished run of the same configuration: a finished stage is
// not redone, an interrupted stage resumes from its latest checkpoint. When
// ctx is cancelled (SIGINT, SIGTERM) the current stage writes a checkpoint and
// Run returns ctx's error.
func Run(ctx context.Context, cfg Config, dir string) error {
	rd := runDir(dir)
	if err := rd.prepare(cfg); err != nil {
		return err
	}
	logFile, err := os.OpenFile(rd.path("run.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := NewLogger(rank, logFile)
	team := kernels.NewTeam(cfg.Threads)
	defer team.Close()
	r := &runner{cfg: cfg, dir: rd, log: log, team: team, ctx: model.NewCtx(team)}

	st, err := rd.readState()
	if err != nil {
		return err
	}
	log.Info().Str("run_dir", dir).Str("stage", st.Stage).Int("threads", team.Threads()).Msg("run starting")
	for st.Stage != stageDone {
		start := time.Now()
		next, err := r.stage(ctx, st.Stage)
		if err != nil {
			return err
		}
		log.Info().Str("stage", st.Stage).Float64("seconds", time.Since(start).Seconds()).Msg("stage done")
		st.Stage = next
		if err := rd.writeState(st); err != nil {
			return err
		}
	}
	log.Info().Str("run_dir", dir).Msg("run complete")
	return nil
}

type runner struct {
	cfg  Config
	dir  runDir
	log  zerolog.Logger
	team *kernels.Team
	ctx  *model.Ctx

	train, test []*data.Field
}

// stage runs one stage and returns the next.
func (r *runner) stage(ctx context.Context, name string) (string, error) {
	switch name {
	case stageData:
		return stageGAN, r.makeData()
	case stageGAN:
		return stageAE, r.trainGAN(ctx)
	case stageAE:
		return stageDone, r.trainAE(ctx)
	}
	return "", fmt.Errorf("%s: unknown stage %q", r.dir.path("state.json"), name)
}

// makeData writes the stand-in dataset: independent lognormal fields, the
// test fields separate from the training ones so that no test pixel is ever
// in a training crop.
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
			seed, _ := streamSeed(r.cfg.Seed, 0, fmt.Sprintf("data/%s/%d", set.name, i))
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
		"note": "stand-in dataset: lognormal fields from a power-law Gaussian random field, until the N-body simulator lands"}
	return writeJSON(r.dir.path("data", "meta.json"), meta)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
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
				return nil, fmt.Errorf("%s: a %dD field of side %d cannot give %dD crops of side %d", path, f.Dim, f.N, r.cfg.Model.Dim, r.cfg.Model.Size)
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

// drawBatch fills dst with random crops (random field, position and symmetry).
func drawBatch(fields []*data.Field, dst []float32, size, batch int, rng *rand.Rand) {
	n := len(dst) / batch
	for b := 0; b < batch; b++ {
		fields[rng.IntN(len(fields))].RandomCrop(dst[b*n:(b+1)*n], size, rng)
	}
}

// checkpointer saves and restores a stage's checkpoints.
type checkpointer struct {
	dir   runDir
	stage string
	log   zerolog.Logger
}

// keepCheckpoints is how many numbered checkpoints of a stage are kept.
const keepCheckpoints = 2

func (c checkpointer) save(ck *model.Checkpoint, final bool) error {
	path := c.dir.path("checkpoints", c.stage+"-final.ckpt")
	if !final {
		path = c.dir.checkpointPath(c.stage, int(ck.Step))
	}
	if err := atomicfile.Write(path, ck.Encode); err != nil {
		return err
	}
	for _, old := range c.dir.checkpoints(c.stage)[min(keepCheckpoints, len(c.dir.checkpoints(c.stage))):] {
		os.Remove(old)
	}
	c.log.Info().Str("file", path).Int64("step", ck.Step).Msg("checkpoint written")
	return nil
}

// latest returns the newest readable checkpoint of the stage, or nil. A
// damaged one is skipped with a warning.
func (c checkpointer) latest() *model.Checkpoint {
	for _, path := range c.dir.checkpoints(c.stage) {
		ck, err := readCheckpoint(path)
		if err != nil {
			c.log.Warn().Err(err).Str("file", path).Msg("skipping unreadable checkpoint")
			continue
		}
		return ck
	}
	return nil
}

// ReadCheckpoint decodes the checkpoint file at path.
func readCheckpoint(path string) (*model.Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ck, err := model.DecodeCheckpoint(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ck, nil
}

func marshalPCG(p *rand.PCG) []byte {
	b, _ := p.MarshalBinary() // a PCG always marshals
	return b
}

func restorePCG(ck *model.Checkpoint, name string, p *rand.PCG) error {
	if err := p.UnmarshalBinary(ck.RNG[name]); err != nil {
		return fmt.Errorf("checkpoint of stage %s, step %d: random stream %q: %w", ck.Stage, ck.Step, name, err)
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// interrupted reports whether ctx is done, without blocking.
func interrupted(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

var errDiverged = errors.New("training diverged")

// writeSamples writes n samples of side size as (n, size, size[, size]).
func writeSamples(path string, dim, size int, values []float32) error {
	vol := 1
	for range dim {
		vol *= size
	}
	shape := []int{len(values) / vol}
	for range dim {
		shape = append(shape, size)
	}
	return data.WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values)))
}

// panels splits a batch into per-sample figure panels (central slices of cubes).
func panels(values []float32, dim, size, n int) [][]float32 {
	vol := len(values) / n
	out := make([][]float32, n)
	for i := range out {
		s := values[i*vol : (i+1)*vol]
		if dim == 3 {
			s = eval.CentralSlice(s, size)
		}
		out[i] = s
	}
	return out
}

// figureRange is the colour range of the figures: the transformed values span
// [−1, 1] for the densities Eq. 1 and Eq. 2 were designed for.
func figureRange(t data.Transform, values []float32) (lo, hi float32) {
	if t != data.None {
		return -1, 1
	}
	lo, hi = values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// writeLatent writes latent codes as an (n, latent) array.
func writeLatent(path string, z []float32, latent int) error {
	return data.WriteNPY(path, tensor.New(tensor.WithShape(len(z)/latent, latent), tensor.WithBacking(z)))
}

// writeFigure writes figures/name: the n samples of top above the n of
// bottom, cubes shown by their central slice, panels at least 128 pixels wide.
func (r *runner) writeFigure(name, caption string, top, bottom []float32, n int) error {
	arch := r.cfg.Model
	lo, hi := figureRange(r.cfg.Data.Transform, top)
	grid := eval.Grid{Size: arch.Size, Lo: lo, Hi: hi, Colormap: eval.Viridis, Scale: max(1, 128/arch.Size),
		Rows: [][][]float32{panels(top, arch.Dim, arch.Size, n), panels(bottom, arch.Dim, arch.Size, n)}}
	path := r.dir.path("figures", name)
	if err := grid.WritePNG(path); err != nil {
		return err
	}
	r.log.Info().Str("file", path).Msg("figure written: " + caption)
	return nil
}

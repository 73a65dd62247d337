package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"
	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/eval"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// Run executes the run described by cfg in directory dir on every rank of
// comm, or continues it if dir holds an unfinished run of the same
// configuration: a finished stage is not redone, an interrupted stage resumes
// from its latest checkpoint. When ctx is cancelled (SIGINT, SIGTERM, SIGUSR1)
// on any rank, every rank stops after the same step, rank 0 writes a
// checkpoint, and Run returns an error wrapping ErrStopped and ctx's error.
func Run(ctx context.Context, cfg Config, dir string, comm parallel.Comm) error {
	if cfg.GAN.Batch%comm.Size() != 0 || cfg.AE.Batch%comm.Size() != 0 {
		return configErrorf("gan.batch = %d and ae.batch = %d must divide evenly over the %d ranks", cfg.GAN.Batch, cfg.AE.Batch, comm.Size())
	}
	if err := CheckBatchNorm(cfg, comm.Size()); err != nil {
		return err
	}
	gpu, err := openGPU(cfg, os.Getenv)
	if err := agreeOn(comm, err); err != nil {
		return err
	}
	if gpu != nil {
		defer gpu.Close()
	}
	if err := agreeOn(comm, cfg.checkMemory(comm.Size())); err != nil {
		return err
	}
	rd := runDir(dir)
	var stale []string
	if comm.Rank() == 0 {
		var unlock func()
		unlock, stale, err = rd.open(cfg)
		if unlock != nil {
			defer unlock()
		}
	}
	if err := agreeOn(comm, err); err != nil {
		return err
	}
	log, metrics, closeLogs, err := openLogs(rd, comm.Rank())
	if err != nil {
		return err
	}
	defer closeLogs()
	for _, path := range stale {
		log.Info().Str("file", path).Msg("removed a temporary file an interrupted run left behind")
	}
	team := kernels.NewTeam(cfg.Threads)
	defer team.Close()
	ws := model.NewWorkspace(team)
	r := &runner{cfg: cfg, dir: rd, log: log, team: team, ws: ws, backend: model.CPU(ws), comm: comm, metrics: metrics,
		configHash: cfg.hash()}
	if gpu != nil {
		r.backend = model.GPU(gpu)
		log.Info().Str("gpu", gpu.Name()).Msg("training steps run on the GPU")
	}
	if comm.Rank() == 0 {
		if r.status, err = startStatus(cfg.StatusAddr, rd); err != nil {
			return err
		}
		defer r.status.close()
		if r.status != nil {
			log.Info().Str("addr", r.status.addr).Msg("status endpoint: /healthz /status /metrics")
			if cfg.StatusPublic {
				log.Warn().Str("addr", r.status.addr).Msg("status endpoint reachable from other machines (status_public = true), without authentication")
			}
		}
	}

	if comm.Rank() == 0 {
		r.state, err = rd.readState()
	}
	if err := r.agree(err); err != nil {
		return err
	}
	if err := parallel.BroadcastJSON(comm, &r.state, 0); err != nil {
		return err
	}
	if r.state.Weights == nil {
		r.state.Weights = map[string]string{}
	}
	host, _ := os.Hostname() // "" where the kernel will not say; the line is for people
	log.Info().Str("run_dir", dir).Str("host", host).Str("stage", r.state.Stage).Int("ranks", comm.Size()).Int("threads", team.Threads()).Msg("run starting")
	if err := r.recordWorldSize(); err != nil {
		return err
	}
	if err := r.stages(ctx, log); err != nil {
		return err
	}
	log.Info().Str("run_dir", dir).Msg("run complete")
	return nil
}

// openLogs opens the rank's log and metric records in the run directory,
// for appending; closeLogs closes both.
func openLogs(rd runDir, rank int) (log zerolog.Logger, metrics *metricsWriter, closeLogs func(), err error) {
	logFile, err := os.OpenFile(rd.path("logs", fmt.Sprintf("rank-%d.jsonl", rank)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return log, nil, nil, err
	}
	log = NewLogger(rank, logFile)
	if metrics, err = openMetrics(rd, rank, &log); err != nil {
		logFile.Close()
		return log, nil, nil, err
	}
	return log, metrics, func() { metrics.close(); logFile.Close() }, nil
}

// stages runs the stages from the one state.json names to the end, saving
// the state after each (rank 0).
func (r *runner) stages(ctx context.Context, log zerolog.Logger) error {
	for r.state.Stage != stageDone {
		start := time.Now()
		r.status.setStage(r.state.Stage)
		r.log = log.With().Str("stage", r.state.Stage).Logger() // every line of a stage says which
		next, err := r.stage(ctx, r.state.Stage)
		if err := r.agree(err); err != nil {
			return err
		}
		r.log.Info().Float64("seconds", time.Since(start).Seconds()).Msg("stage done")
		r.state.Stage, r.state.Step, r.state.Best = next, 0, nil
		if r.comm.Rank() == 0 {
			err = r.dir.writeState(r.state)
		}
		if err := r.agree(err); err != nil {
			return err
		}
	}
	r.status.setStage(stageDone)
	return nil
}

// CheckBatchNorm refuses a batch that batch norm cannot normalize on ranks
// ranks: a layer with one position per channel over one sample outputs β
// whatever its input. Each rank normalizes its own part unless
// train.sync_batchnorm. Run checks it at start, sbatch before the job queues.
func CheckBatchNorm(cfg Config, ranks int) error {
	n := min(cfg.GAN.Batch, cfg.AE.Batch)
	if !cfg.Train.SyncBatchNorm {
		n /= ranks
	}
	if need := cfg.Model.MinBatch(); n < need {
		return configErrorf("gan.batch = %d and ae.batch = %d over %d ranks leave %d sample(s) to each batch norm, this model needs at least %d: raise the batch, or set train.sync_batchnorm = true",
			cfg.GAN.Batch, cfg.AE.Batch, ranks, n, need)
	}
	return nil
}

type runner struct {
	cfg        Config
	dir        runDir
	log        zerolog.Logger
	metrics    *metricsWriter // this rank's metric records
	team       *kernels.Team
	ws         *model.Workspace
	backend    model.Backend // where the training steps run: the CPU, or this rank's GPU
	comm       parallel.Comm
	configHash string
	state      runState // what state.json says (rank 0 keeps it current)
	status     *status  // rank 0's status endpoint (nil-safe)

	train, val, test cropSet // crops of the three splits
}

// stage runs one stage and returns the next. Work that only rank 0 does
// (writing the dataset, the report) is followed by the others' wait in the
// agreement that follows every stage.
func (r *runner) stage(ctx context.Context, name string) (string, error) {
	switch name {
	case stageData:
		if r.comm.Rank() != 0 {
			return stageGAN, nil
		}
		return stageGAN, r.makeData(ctx)
	case stageGAN:
		return stageAE, r.trainGAN(ctx)
	case stageAE:
		return stageReport, r.trainAE(ctx)
	case stageReport:
		if r.comm.Rank() != 0 {
			return stageDone, nil
		}
		return stageDone, r.writeReport(ctx)
	}
	return "", fmt.Errorf("%s: unknown stage %q", r.dir.path("state.json"), name)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
}

// stopped is the error of a stage that ctx stopped between two pieces of
// work, each already saved (a field, a report), after done of them.
func stopped(ctx context.Context, stage, done string) error {
	return fmt.Errorf("%s stage after %s: %w: %w", stage, done, ErrStopped, ctx.Err())
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

// readNPY reads a float32 array file's values.
func readNPY(path string) ([]float32, error) {
	t, err := data.ReadNPY(path)
	if err != nil {
		return nil, err
	}
	return t.Data().([]float32), nil
}

package daemon

import (
	"context"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/eval"
	"github.com/cosmogan/cosmogan/model"
)

// trainGAN runs the GAN stage: data-parallel steps with the global batch split
// over the ranks, evaluation of generated samples against validation crops
// on rank 0 every eval_every steps (the best by the combined score is kept as
// gan-best.ckpt), then the final checkpoint, samples and figure.
func (r *runner) trainGAN(ctx context.Context) error {
	return r.trainStage(ctx, func() (finishingStage, error) {
		st, err := r.newGANStage()
		return st, err
	})
}

// ganStage is the GAN stage as the loop drives it.
type ganStage struct {
	stagePlan
	r       *runner
	gan     *model.GAN
	trainer model.GANTrainer
	batch   *model.GANBatch // this rank's part of the global batch
	draws   *stream
	ref     *eval.Reference // rank 0's evaluation reference
	evalZ   []float32       // and the latent vectors it evaluates G on
	vals    []float64       // each step's values, reused
}

func (r *runner) newGANStage() (*ganStage, error) {
	cfg, arch := r.cfg.GAN, r.cfg.Model
	// Every rank draws the same initial weights; rank 0's are broadcast anyway.
	gan, err := model.NewGAN(arch, cfg.AdamConfig, newStreamFor(r.cfg.Seed, "gan/init").fixed())
	if err != nil {
		return nil, &ConfigError{err}
	}
	gan.LabelNoise = cfg.LabelNoise
	gan.ModeSeeking = cfg.ModeSeeking
	if cfg.LRD > 0 {
		gan.OptD.LR = cfg.LRD
	}
	gan.SetSync(r.comm, r.cfg.Train.SyncBatchNorm)
	n := cfg.Batch / r.comm.Size()
	if cfg.ModeSeeking > 0 && n < 2 {
		return nil, configErrorf("gan.mode_seeking pairs the samples of each rank's batch: gan.batch = %d over %d ranks leaves %d per rank, want at least 2", cfg.Batch, r.comm.Size(), n)
	}
	nets := []trained{{gan.G, gan.OptG}, {gan.D, gan.OptD}}
	if cfg.GEMA > 0 {
		if gan.EMA, err = model.NewEMA(arch, gan.G, cfg.GEMA); err != nil {
			return nil, err
		}
		nets = append(nets, trained{net: gan.EMA.Net})
	}
	st := &ganStage{r: r, gan: gan, batch: model.NewGANBatch(arch, n),
		draws: newStreamFor(r.cfg.Seed, "gan/step"), vals: make([]float64, 4)}
	if r.comm.Rank() == 0 {
		if st.ref, st.evalZ, err = r.evalReference(arch); err != nil {
			return nil, err
		}
	}
	if st.trainer, err = model.NewGANTrainer(gan, r.backend); err != nil {
		return nil, err
	}
	st.stagePlan = stagePlan{name: stageGAN, steps: cfg.Steps, batch: cfg.Batch, checkpointEvery: cfg.CheckpointEvery,
		logEvery: cfg.LogEvery, evalEvery: cfg.EvalEvery, nets: nets, mirror: st.trainer,
		values: []string{"loss_d", "loss_g", "d_real", "d_fake"}}
	return st, nil
}

// step crops this rank's real samples and draws its latent vectors and
// labels, each sample from its own stream, then steps the GAN.
func (st *ganStage) step(s, rollbacks int) ([]float64, bool, error) {
	r, b, arch := st.r, st.batch, st.r.cfg.Model
	size := arch.ImageShape().Size()
	for i := 0; i < b.N; i++ {
		rng := st.draws.at(rollbacks, s, r.comm.Rank()*b.N+i)
		r.train.crop(b.Real[i*size:(i+1)*size], arch.Size, rng)
		b.Draw(i, r.cfg.GAN.LabelNoise, rng)
	}
	stats, err := st.trainer.Step(b)
	st.vals[0], st.vals[1], st.vals[2], st.vals[3] = stats.LossD, stats.LossG, stats.DReal, stats.DFake
	return st.vals, stats.SkipD || stats.SkipG, err
}

// evaluate scores G on rank 0 (evaluateGAN).
func (st *ganStage) evaluate(p *progress) error {
	if st.r.comm.Rank() != 0 {
		return nil
	}
	return st.r.evaluateGAN(st.gan, st.ref, st.evalZ, p, st.nets)
}

// finish records the trained weights' hash and, on rank 0, writes the final
// checkpoint, the samples and the figure.
func (st *ganStage) finish(p progress) error {
	r, gan := st.r, st.gan
	weights := weightsSHA256(gan.G.Params, gan.D.Params)
	r.log.Info().Str("weights_sha256", weights).Msg("stage weights")
	r.metrics.write(Metric{Stage: stageGAN, Step: p.Step, Kind: MetricWeights, Weights: weights})
	if r.comm.Rank() != 0 {
		return nil
	}
	if err := r.checkpointer(stageGAN).write(newCheckpoint(r, stageGAN, p, st.nets), "final"); err != nil {
		return err
	}
	r.state.Weights[stageGAN] = weights
	return r.writeGANOutputs(gan)
}

// evalReference draws the validation crops every evaluation compares
// against, computes their statistics once, and fixes the latent vectors of
// the generated samples, so that evaluations differ only by the weights. The
// test split stays untouched for the final report.
func (r *runner) evalReference(arch model.Arch) (*eval.Reference, []float32, error) {
	n := r.cfg.GAN.EvalSamples
	crops := make([]float32, n*arch.ImageShape().Size())
	rng := newStreamFor(r.cfg.Seed, "gan/eval").fixed()
	fields := r.val.draw(crops, arch.Size, n, rng)
	set, err := evalSet(crops, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return nil, nil, err
	}
	set.Groups = fields
	ref, err := eval.NewReference(set, eval.Options{Threads: r.team.Threads()})
	if err != nil {
		return nil, nil, fmt.Errorf("evaluation reference of %d validation crops: %w", n, err)
	}
	z := make([]float32, n*arch.Latent)
	model.SampleLatent(z, rng)
	return ref, z, nil
}

// evalSet views n samples as an evaluation set.
func evalSet(values []float32, arch model.Arch, n int, tr data.Transform) (eval.Set, error) {
	shape := []int{n}
	for range arch.Dim {
		shape = append(shape, arch.Size)
	}
	return eval.NewSet(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values)), tr)
}

// evaluateGAN scores G's samples against the reference and keeps the best
// weights in gan-best.ckpt.
func (r *runner) evaluateGAN(gan *model.GAN, ref *eval.Reference, z []float32, p *progress, nets []trained) error {
	arch := r.cfg.Model
	n := len(z) / arch.Latent
	fake := generateFrom(r.ws, gan.Sampler(), z, n)
	set, err := evalSet(fake, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return err
	}
	rep, err := ref.Compare(set, false)
	if err != nil {
		return fmt.Errorf("evaluating the generator at step %d: %w", p.Step, err)
	}
	d := rep.Distances
	better := d.Score < p.Best
	r.log.Info().Int("step", p.Step).Float64("score", d.Score).Float64("pixel_pdf", d.PixelPDF).
		Float64("mean_density", d.MeanDensity).Float64("power_spectrum", d.PowerSpectrum).Float64("peak_counts", d.PeakCounts).
		Float64("log_field_spectrum", d.LogFieldSpectrum).Float64("log_field_max_half", d.LogFieldHalf).
		Float64("peak_number_ratio", d.PeakNumber).Float64("collapse_ratio", d.Collapse).
		Bool("best", better).Msg("gan evaluation")
	r.metrics.write(Metric{Stage: stageGAN, Step: p.Step, Kind: MetricEvaluation, Distances: &d, Best: better})
	r.status.recordDistances(d)
	if !better {
		p.Stale++
		return nil
	}
	p.Best, p.BestStep, p.Stale = d.Score, p.Step, 0
	return r.checkpointer(stageGAN).write(newCheckpoint(r, stageGAN, *p, nets), "best")
}

// generateFrom runs G in inference mode on the latent vectors z.
func generateFrom(ws *model.Workspace, g *model.Net, z []float32, n int) []float32 {
	latent := g.In.Size()
	out := make([]float32, 0, n*g.Out.Size())
	g.Infer(ws, n, func(lo, hi int) []float32 { return z[lo*latent : hi*latent] },
		func(_, _ int, y []float32) { out = append(out, y...) })
	return out
}

// writeGANOutputs writes samples/generated.npy and figures/real_vs_generated.png.
func (r *runner) writeGANOutputs(gan *model.GAN) error {
	arch := r.cfg.Model
	rng := newStreamFor(r.cfg.Seed, "gan/samples").fixed()
	if m := r.cfg.Out.Samples; m > 0 {
		z := make([]float32, m*arch.Latent)
		model.SampleLatent(z, rng)
		path := r.dir.path("samples", "generated.npy")
		if err := writeSamples(path, arch.Dim, arch.Size, generateFrom(r.ws, gan.Sampler(), z, m)); err != nil {
			return err
		}
		if err := writeJSON(r.dir.path("samples", "meta.json"), map[string]any{
			"transform": r.cfg.Data.Transform.String(),
			"note":      "values are in the transformed space the networks work in; invert the transform for density in units of the mean, rho/rho_mean",
		}); err != nil {
			return err
		}
		r.log.Info().Str("file", path).Int("n", m).Msg("samples written")
	}
	n := r.cfg.Out.FigurePanels
	real := make([]float32, n*arch.ImageShape().Size())
	r.test.draw(real, arch.Size, n, rng)
	z := make([]float32, n*arch.Latent)
	model.SampleLatent(z, rng)
	return r.writeFigure("real_vs_generated.png", "test crops (top) and generated (bottom)", real, generateFrom(r.ws, gan.Sampler(), z, n), n)
}

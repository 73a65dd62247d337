package daemon

import (
	"context"
	"fmt"

	"github.com/cosmogan/cosmogan/model"
)

// trainAE runs the AE stage: a fresh encoder E, trained data-parallel in
// front of the best generator of the GAN stage, with that stage's D truncated
// as the loss (Eq. 7); early stopping on the loss over fixed validation crops
// (from the validation split), which the ranks share out. It ends with the best E,
// with G and D, in checkpoints/ae-final.ckpt, and writes reconstructions,
// latent codes and a figure.
func (r *runner) trainAE(ctx context.Context) error {
	return r.trainStage(ctx, func() (finishingStage, error) {
		st, err := r.newAEStage()
		return st, err
	})
}

// aeStage is the AE stage as the loop drives it.
type aeStage struct {
	stagePlan
	r       *runner
	gan     *model.GAN // the trained G and D the encoder is trained against
	ae      *model.AE
	trainer model.AETrainer
	// validator computes the validation loss on the host copy, on the CPU
	// whatever the backend (the loop pulls it before evaluating).
	validator model.AETrainer
	batch     []float32 // this rank's part of the global batch
	draws     *stream
	z         []float32 // with ae.latent_weight: this rank's latent vectors
	val       []float32 // this rank's share of the validation crops
	best      model.NetState
	vals      []float64 // each step's loss, reused
}

func (r *runner) newAEStage() (*aeStage, error) {
	cfg, arch := r.cfg.AE, r.cfg.Model
	initRand := newStreamFor(r.cfg.Seed, "ae/init").fixed()
	gan, err := model.NewGAN(arch, model.DefaultAdam(), initRand)
	if err != nil {
		return nil, &ConfigError{err}
	}
	if err := r.agree(r.loadBestGAN(gan)); err != nil {
		return nil, err
	}
	if err := broadcastNets(r.comm, []trained{{net: gan.G}, {net: gan.D}}); err != nil {
		return nil, err
	}
	ae, err := model.NewAE(arch, gan.G, gan.D, cfg.AdamConfig, initRand)
	if err != nil {
		return nil, err
	}
	ae.SetSync(r.comm, r.cfg.Train.SyncBatchNorm)
	ae.LatentWeight = cfg.LatentWeight
	size, n := arch.ImageShape().Size(), cfg.Batch/r.comm.Size()
	st := &aeStage{r: r, gan: gan, ae: ae, batch: make([]float32, n*size),
		draws: newStreamFor(r.cfg.Seed, "ae/step"), vals: make([]float64, 1)}
	if cfg.LatentWeight > 0 {
		st.z = make([]float32, n*arch.Latent)
	}
	// The validation crops: fixed, from the validation split; rank k scores
	// its share, and the sum over ranks is the validation loss on every rank.
	val := make([]float32, cfg.ValidationCrops*size)
	r.val.draw(val, arch.Size, cfg.ValidationCrops, newStreamFor(r.cfg.Seed, "ae/validation").fixed())
	lo, hi := share(cfg.ValidationCrops, r.comm.Rank(), r.comm.Size())
	st.val = val[lo*size : hi*size]
	st.keepBest()
	if st.validator, err = model.NewAETrainer(ae, model.CPU(r.ws)); err != nil {
		return nil, err
	}
	if st.trainer, err = model.NewAETrainer(ae, r.backend); err != nil {
		return nil, err
	}
	st.stagePlan = stagePlan{name: stageAE, steps: cfg.Steps, batch: cfg.Batch, checkpointEvery: cfg.CheckpointEvery,
		logEvery: cfg.LogEvery, evalEvery: cfg.EvalEvery, nets: []trained{{ae.E, ae.OptE}}, mirror: st.trainer,
		values: []string{"loss"}}
	return st, nil
}

// step crops this rank's samples, each from its own stream, and steps E.
func (st *aeStage) step(s, rollbacks int) ([]float64, bool, error) {
	r, arch := st.r, st.r.cfg.Model
	size := arch.ImageShape().Size()
	n := len(st.batch) / size
	for i := 0; i < n; i++ {
		rng := st.draws.at(rollbacks, s, r.comm.Rank()*n+i)
		r.train.crop(st.batch[i*size:(i+1)*size], arch.Size, rng)
		if st.z != nil {
			model.SampleLatent(st.z[i*arch.Latent:(i+1)*arch.Latent], rng)
		}
	}
	loss, skipped, err := st.trainer.Step(st.batch, st.z, n)
	st.vals[0] = loss
	return st.vals, skipped, err
}

// evaluate computes the validation loss over the ranks' shares, and keeps
// E as the best encoder when it improved.
func (st *aeStage) evaluate(p *progress) error {
	r, size := st.r, st.r.cfg.Model.ImageShape().Size()
	s, err := lossSum(st.validator, st.val, len(st.val)/size, size)
	if err != nil {
		return err
	}
	sum := []float64{s}
	if err := r.comm.AllReduceSum64(sum); err != nil {
		return err
	}
	v := sum[0] / float64(r.cfg.AE.ValidationCrops)
	better := v < p.Best
	if better {
		p.Best, p.BestStep, p.Stale = v, p.Step, 0
		st.keepBest()
	} else {
		p.Stale++
	}
	r.log.Info().Int("step", p.Step).Float64("validation_loss", v).Float64("best", p.Best).Int("stale", p.Stale).Msg("ae validation")
	r.metrics.write(Metric{Stage: stageAE, Step: p.Step, Kind: MetricValidation, Loss: &v, Best: better})
	r.status.recordValidation(v)
	return nil
}

// bestName is the name of the best encoder so far in the AE's checkpoints.
const bestName = "E-best"

// keepBest makes E as it is the best encoder so far.
func (st *aeStage) keepBest() {
	st.best = model.Capture(st.ae.E, nil)
	st.best.Name = bestName
}

// stopEarly: after ae.patience evaluations without improvement.
func (st *aeStage) stopEarly(p progress) bool { return p.Stale >= st.r.cfg.AE.Patience }

func (st *aeStage) extra() []model.NetState { return []model.NetState{st.best} }

func (st *aeStage) restoreExtra(ck *model.Checkpoint) error {
	b, err := ck.Net(bestName)
	if err != nil {
		return err
	}
	st.best = *b
	return nil
}

// finish gives every rank rank 0's best encoder, records its hash and, on
// rank 0, writes the final checkpoint (with the G and D it was trained
// against) and the outputs.
func (st *aeStage) finish(p progress) error {
	r, ae := st.r, st.ae
	if r.comm.Rank() == 0 {
		if err := st.best.Restore(ae.E, nil); err != nil {
			return err
		}
	}
	if err := broadcastNets(r.comm, []trained{{net: ae.E}}); err != nil {
		return err
	}
	weights := weightsSHA256(ae.E.Params)
	r.log.Info().Str("weights_sha256", weights).Int("best_step", p.BestStep).Msg("stage weights")
	r.metrics.write(Metric{Stage: stageAE, Step: p.Step, Kind: MetricWeights, Weights: weights})
	if r.comm.Rank() != 0 {
		return nil
	}
	final := newCheckpoint(r, stageAE, p, []trained{{net: ae.E}}, model.Capture(st.gan.G, nil), model.Capture(st.gan.D, nil))
	if err := r.checkpointer(stageAE).write(final, "final"); err != nil {
		return err
	}
	r.state.Weights[stageAE] = weights
	return r.writeAEOutputs(ae, r.cfg.AE.ValidationCrops)
}

// loadBestGAN loads G and D from the GAN stage's best checkpoint (by the
// evaluation score). If that one cannot be used, it falls back to the final
// one, but never silently: the AE is then trained against another G than
// the best, which the log, state.json and the report say.
func (r *runner) loadBestGAN(gan *model.GAN) error {
	if r.comm.Rank() != 0 {
		return nil
	}
	cp := r.checkpointer(stageGAN)
	path := r.dir.path("checkpoints", stageGAN+"-best.ckpt")
	ck, err := cp.read(path)
	if err != nil {
		final := r.dir.path("checkpoints", stageGAN+"-final.ckpt")
		fck, ferr := cp.read(final)
		if ferr != nil {
			return fmt.Errorf("AE stage needs the trained GAN: %w; and %w", err, ferr)
		}
		note := fmt.Sprintf("the AE decoder and loss are the final GAN (%s, step %d), not the best: %v", final, fck.Step, err)
		r.log.Warn().Str("file", final).Str("unusable", path).Err(err).Msg("AE decoder: falling back to the final GAN checkpoint")
		r.state.note(note)
		path, ck = final, fck
	}
	if _, err := restore(ck, r.cfg.Model, []trained{{net: gan.D}}); err != nil {
		return err
	}
	// The decoder is the generator the GAN stage samples from (G, or its
	// moving average where the stage kept one).
	g, err := ck.Generator()
	if err == nil {
		err = g.Restore(gan.G, nil)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r.log.Info().Str("file", path).Int64("step", ck.Step).Msg("AE decoder and loss from the GAN checkpoint")
	return nil
}

// share returns the part [lo, hi) of n items that rank takes of size ranks.
func share(n, rank, size int) (lo, hi int) { return rank * n / size, (rank + 1) * n / size }

// lossSum is the Eq. 7 loss summed over n crops of size values (in
// inference mode).
func lossSum(ae model.AETrainer, crops []float32, n, size int) (float64, error) {
	const chunk = 32
	var sum float64
	for done := 0; done < n; done += chunk {
		b := min(chunk, n-done)
		l, err := ae.Loss(crops[done*size:(done+b)*size], b)
		if err != nil {
			return 0, err
		}
		sum += l * float64(b)
	}
	return sum, nil
}

// writeAEOutputs encodes and decodes n test crops, writes the crops, their
// latent codes and reconstructions, and the figure of crops beside
// reconstructions.
func (r *runner) writeAEOutputs(ae *model.AE, n int) error {
	arch := r.cfg.Model
	size := arch.ImageShape().Size()
	val, _ := r.aeTestCrops(n)
	latent := make([]float32, n*arch.Latent)
	ae.E.Infer(r.ws, n, func(lo, hi int) []float32 { return val[lo*size : hi*size] },
		func(lo, _ int, z []float32) { copy(latent[lo*arch.Latent:], z) })
	recon := generateFrom(r.ws, ae.G, latent, n)
	for name, v := range map[string][]float32{"reconstructed.npy": recon, "test.npy": val} {
		if err := writeSamples(r.dir.path("samples", name), arch.Dim, arch.Size, v); err != nil {
			return err
		}
	}
	if err := writeLatent(r.dir.path("samples", "latent.npy"), latent, arch.Latent); err != nil {
		return err
	}
	k := min(n, r.cfg.Out.FigurePanels)
	return r.writeFigure("ae_reconstruction.png", "test crops (top) and their AE reconstructions (bottom)", val[:k*size], recon[:k*size], k)
}

// aeTestCrops draws the n test crops the AE encodes for its outputs and
// report (the same for any caller), and the field of each.
func (r *runner) aeTestCrops(n int) (crops []float32, fields []int) {
	arch := r.cfg.Model
	crops = make([]float32, n*arch.ImageShape().Size())
	fields = r.test.draw(crops, arch.Size, n, newStreamFor(r.cfg.Seed, "ae/test").fixed())
	return crops, fields
}

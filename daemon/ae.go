package daemon

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/cosmogan/cosmogan/model"
)

// aeRun is the state of the AE stage that a checkpoint must carry beyond the
// networks: the best validation loss, the encoder that reached it, and how
// many evaluations have passed without improvement.
type aeRun struct {
	step, stale int
	best        float64
	bestE       model.NetState
}

// trainAE runs the AE stage: a fresh encoder E trained in front of the final
// G, with the final D truncated as the loss; early stopping on the loss over
// fixed validation crops from the test fields. It ends with the best E in
// checkpoints/ae-final.ckpt (with G and D, so that it encodes and decodes on
// its own), and writes reconstructions, latent codes and a figure.
func (r *runner) trainAE(ctx context.Context) error {
	if err := r.loadData(); err != nil {
		return err
	}
	cfg, arch := r.cfg.AE, r.cfg.Model
	gck, err := readCheckpoint(r.dir.path("checkpoints", stageGAN+"-final.ckpt"))
	if err != nil {
		return fmt.Errorf("AE stage needs the trained GAN: %w", err)
	}
	_, initRand := newStream(r.cfg.Seed, 0, "ae/init")
	gan, err := model.NewGAN(arch, model.DefaultAdam(), initRand)
	if err != nil {
		return &ConfigError{err}
	}
	for _, n := range []*model.Net{gan.G, gan.D} {
		ns, err := gck.Net(n.Name)
		if err != nil {
			return err
		}
		if err := ns.Restore(n, nil); err != nil {
			return err
		}
	}
	ae, err := model.NewAE(arch, gan.G, gan.D, cfg.AdamConfig, initRand)
	if err != nil {
		return err
	}
	stepPCG, stepRand := newStream(r.cfg.Seed, rank, "ae/sampler")
	_, valRand := newStream(r.cfg.Seed, rank, "ae/validation")
	size := arch.ImageShape().Size()
	val := make([]float32, cfg.ValidationCrops*size)
	drawBatch(r.test, val, arch.Size, cfg.ValidationCrops, valRand)

	cp := checkpointer{dir: r.dir, stage: stageAE, log: r.log}
	st := aeRun{best: math.Inf(1), bestE: model.Capture(ae.E, nil)}
	if ck := cp.latest(); ck != nil {
		if st, err = restoreAE(ck, ae, arch, stepPCG); err != nil {
			return err
		}
		r.log.Info().Int("step", st.step).Msg("AE stage resumed from checkpoint")
	}
	save := func(final bool) error {
		nets := []model.NetState{model.Capture(ae.E, ae.OptE), st.bestE}
		if final {
			nets = []model.NetState{st.bestE, model.Capture(gan.G, nil), model.Capture(gan.D, nil)}
		}
		return cp.save(&model.Checkpoint{Arch: arch, Stage: stageAE, Step: int64(st.step),
			Meta: map[string]string{"transform": r.cfg.Data.Transform.String(), "best_validation_loss": strconv.FormatFloat(st.best, 'g', -1, 64),
				"stale_evaluations": strconv.Itoa(st.stale)},
			RNG:  map[string][]byte{"sampler": marshalPCG(stepPCG)},
			Nets: nets}, final)
	}

	batch := make([]float32, cfg.Batch*size)
	last, lastStep := time.Now(), st.step
	for st.step < cfg.Steps && st.stale < cfg.Patience {
		if interrupted(ctx) {
			if err := save(false); err != nil {
				return err
			}
			return ctx.Err()
		}
		drawBatch(r.train, batch, arch.Size, cfg.Batch, stepRand)
		loss := ae.Step(r.ctx, batch, cfg.Batch)
		st.step++
		if !finite(loss) {
			return fmt.Errorf("AE step %d: loss %g: %w", st.step, loss, errDiverged)
		}
		if st.step%cfg.EvalEvery == 0 || st.step == cfg.Steps {
			v := r.validationLoss(ae, val, cfg.ValidationCrops)
			if v < st.best {
				st.best, st.stale, st.bestE = v, 0, model.Capture(ae.E, nil)
			} else {
				st.stale++
			}
			r.log.Info().Int("step", st.step).Float64("validation_loss", v).Float64("best", st.best).Int("stale", st.stale).Msg("ae validation")
		}
		if st.step%cfg.LogEvery == 0 {
			rate := float64((st.step-lastStep)*cfg.Batch) / time.Since(last).Seconds()
			r.log.Info().Int("step", st.step).Int("of", cfg.Steps).Float64("loss", loss).Float64("samples_per_s", rate).Msg("ae")
			last, lastStep = time.Now(), st.step
		}
		if st.step%cfg.CheckpointEvery == 0 && st.step < cfg.Steps {
			if err := save(false); err != nil {
				return err
			}
		}
	}
	if st.stale >= cfg.Patience {
		r.log.Info().Int("step", st.step).Float64("best_validation_loss", st.best).Msg("AE early stop: validation loss stopped improving")
	}
	if err := save(true); err != nil {
		return err
	}
	if err := st.bestE.Restore(ae.E, nil); err != nil {
		return err
	}
	return r.writeAEOutputs(ae, val, cfg.ValidationCrops)
}

func restoreAE(ck *model.Checkpoint, ae *model.AE, arch model.Arch, sampler *rand.PCG) (aeRun, error) {
	var st aeRun
	if !ck.Arch.Equal(arch) {
		return st, configErrorf("AE checkpoint of step %d was made for architecture %+v, the configuration asks for %+v", ck.Step, ck.Arch, arch)
	}
	if len(ck.Nets) != 2 {
		return st, fmt.Errorf("AE checkpoint of step %d holds %d networks, want the encoder and its best state", ck.Step, len(ck.Nets))
	}
	if err := ck.Nets[0].Restore(ae.E, ae.OptE); err != nil {
		return st, err
	}
	st.bestE = ck.Nets[1]
	var err error
	if st.best, err = strconv.ParseFloat(ck.Meta["best_validation_loss"], 64); err != nil {
		return st, fmt.Errorf("AE checkpoint of step %d: best_validation_loss: %w", ck.Step, err)
	}
	if st.stale, err = strconv.Atoi(ck.Meta["stale_evaluations"]); err != nil {
		return st, fmt.Errorf("AE checkpoint of step %d: stale_evaluations: %w", ck.Step, err)
	}
	st.step = int(ck.Step)
	return st, restorePCG(ck, "sampler", sampler)
}

// validationLoss is the mean Eq. 7 loss over the validation crops.
func (r *runner) validationLoss(ae *model.AE, val []float32, n int) float64 {
	const chunk = 32
	size := len(val) / n
	var sum float64
	for done := 0; done < n; done += chunk {
		b := min(chunk, n-done)
		sum += ae.Loss(r.ctx, val[done*size:(done+b)*size], b) * float64(b)
	}
	return sum / float64(n)
}

// writeAEOutputs encodes and decodes the validation crops, writes their latent
// codes and reconstructions, and the figure of crops beside reconstructions.
func (r *runner) writeAEOutputs(ae *model.AE, val []float32, n int) error {
	arch := r.cfg.Model
	size := arch.ImageShape().Size()
	latent := make([]float32, n*arch.Latent)
	recon := make([]float32, 0, n*size)
	const chunk = 32
	for done := 0; done < n; done += chunk {
		b := min(chunk, n-done)
		z := latent[done*arch.Latent : (done+b)*arch.Latent]
		ae.Encode(r.ctx, val[done*size:(done+b)*size], b, z)
		recon = append(recon, ae.G.Forward(r.ctx, z, b, false)...)
	}
	if err := writeSamples(r.dir.path("samples", "reconstructed.npy"), arch.Dim, arch.Size, recon); err != nil {
		return err
	}
	if err := writeSamples(r.dir.path("samples", "validation.npy"), arch.Dim, arch.Size, val); err != nil {
		return err
	}
	if err := writeLatent(r.dir.path("samples", "latent.npy"), latent, arch.Latent); err != nil {
		return err
	}
	k := min(n, r.cfg.Out.FigurePanels)
	return r.writeFigure("ae_reconstruction.png", "test crops (top) and their AE reconstructions (bottom)", val[:k*size], recon[:k*size], k)
}

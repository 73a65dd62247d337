package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cosmogan/cosmogan/model"
)

// ganStreams are the random streams of the GAN stage.
type ganStreams struct {
	step, sampler         *rand.PCG
	stepRand, samplerRand *rand.Rand
}

func newGANStreams(seed uint64) ganStreams {
	var s ganStreams
	s.step, s.stepRand = newStream(seed, rank, "gan/step")
	s.sampler, s.samplerRand = newStream(seed, rank, "gan/sampler")
	return s
}

// trainGAN runs the GAN stage from its latest checkpoint (or from scratch),
// then writes the final checkpoint, generated samples and the figure of real
// beside generated images.
func (r *runner) trainGAN(ctx context.Context) error {
	if err := r.loadData(); err != nil {
		return err
	}
	cfg, arch := r.cfg.GAN, r.cfg.Model
	_, initRand := newStream(r.cfg.Seed, 0, "gan/init") // rank 0's draw is every rank's start
	gan, err := model.NewGAN(arch, cfg.AdamConfig, initRand)
	if err != nil {
		return &ConfigError{err}
	}
	gan.LabelNoise = cfg.LabelNoise
	streams := newGANStreams(r.cfg.Seed)
	cp := checkpointer{dir: r.dir, stage: stageGAN, log: r.log}
	step := 0
	if ck := cp.latest(); ck != nil {
		if step, err = restoreGAN(ck, gan, arch, streams); err != nil {
			return err
		}
		r.log.Info().Int("step", step).Msg("GAN stage resumed from checkpoint")
	}
	// step counts the steps done; a checkpoint records it.
	save := func(final bool) error { return cp.save(ganCheckpoint(gan, step, streams, r.cfg), final) }

	batch := make([]float32, cfg.Batch*arch.ImageShape().Size())
	last, lastStep := time.Now(), step
	for step < cfg.Steps {
		if interrupted(ctx) {
			if err := save(false); err != nil {
				return err
			}
			return ctx.Err()
		}
		drawBatch(r.train, batch, arch.Size, cfg.Batch, streams.samplerRand)
		st, err := gan.Step(r.ctx, batch, cfg.Batch, streams.stepRand)
		if err != nil {
			return err
		}
		step++
		if !finite(st.LossD, st.LossG) {
			return fmt.Errorf("GAN step %d: loss D %g, loss G %g: %w", step, st.LossD, st.LossG, errDiverged)
		}
		if step%cfg.LogEvery == 0 || step == cfg.Steps {
			rate := float64((step-lastStep)*cfg.Batch) / time.Since(last).Seconds()
			r.log.Info().Int("step", step).Int("of", cfg.Steps).Float64("loss_d", st.LossD).Float64("loss_g", st.LossG).
				Float64("d_real", st.DReal).Float64("d_fake", st.DFake).Float64("samples_per_s", rate).Msg("gan")
			last, lastStep = time.Now(), step
		}
		if step%cfg.CheckpointEvery == 0 && step < cfg.Steps {
			if err := save(false); err != nil {
				return err
			}
		}
	}
	if err := save(true); err != nil {
		return err
	}
	return r.writeGANOutputs(gan)
}

func ganCheckpoint(gan *model.GAN, step int, s ganStreams, cfg Config) *model.Checkpoint {
	return &model.Checkpoint{Arch: gan.Arch, Stage: stageGAN, Step: int64(step),
		Meta: map[string]string{"transform": cfg.Data.Transform.String()},
		RNG:  map[string][]byte{"step": marshalPCG(s.step), "sampler": marshalPCG(s.sampler)},
		Nets: []model.NetState{model.Capture(gan.G, gan.OptG), model.Capture(gan.D, gan.OptD)}}
}

func restoreGAN(ck *model.Checkpoint, gan *model.GAN, arch model.Arch, s ganStreams) (int, error) {
	if !ck.Arch.Equal(arch) {
		return 0, configErrorf("checkpoint of step %d was made for architecture %+v, the configuration asks for %+v", ck.Step, ck.Arch, arch)
	}
	for _, n := range []struct {
		net *model.Net
		opt *model.Adam
	}{{gan.G, gan.OptG}, {gan.D, gan.OptD}} {
		ns, err := ck.Net(n.net.Name)
		if err != nil {
			return 0, err
		}
		if err := ns.Restore(n.net, n.opt); err != nil {
			return 0, err
		}
	}
	if err := restorePCG(ck, "step", s.step); err != nil {
		return 0, err
	}
	return int(ck.Step), restorePCG(ck, "sampler", s.sampler)
}

// generate runs G in inference mode on n latent draws from rng, batch by batch.
func generate(ctx *model.Ctx, g *model.Net, n int, rng *rand.Rand) []float32 {
	const chunk = 32
	latent, size := g.In.Size(), g.Out.Size()
	out := make([]float32, 0, n*size)
	z := make([]float32, chunk*latent)
	for done := 0; done < n; done += chunk {
		b := min(chunk, n-done)
		model.SampleLatent(z[:b*latent], rng)
		out = append(out, g.Forward(ctx, z, b, false)...)
	}
	return out
}

// writeGANOutputs writes samples/generated.npy and figures/real_vs_generated.png.
func (r *runner) writeGANOutputs(gan *model.GAN) error {
	arch := r.cfg.Model
	_, rng := newStream(r.cfg.Seed, rank, "gan/samples")
	if r.cfg.Out.Samples > 0 {
		samples := generate(r.ctx, gan.G, r.cfg.Out.Samples, rng)
		path := r.dir.path("samples", "generated.npy")
		if err := writeSamples(path, arch.Dim, arch.Size, samples); err != nil {
			return err
		}
		if err := writeJSON(r.dir.path("samples", "meta.json"), map[string]any{
			"transform": r.cfg.Data.Transform.String(),
			"note":      "values are in the transformed space the networks work in; invert the transform for density in particles per pixel",
		}); err != nil {
			return err
		}
		r.log.Info().Str("file", path).Int("n", r.cfg.Out.Samples).Msg("samples written")
	}
	n := r.cfg.Out.FigurePanels
	real := make([]float32, n*arch.ImageShape().Size())
	_, figRand := newStream(r.cfg.Seed, rank, "figures")
	drawBatch(r.test, real, arch.Size, n, figRand)
	fake := generate(r.ctx, gan.G, n, figRand)
	return r.writeFigure("real_vs_generated.png", "test crops (top) and generated (bottom)", real, fake, n)
}

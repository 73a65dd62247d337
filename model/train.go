package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
)

// GAN holds G and D with their optimizers and the buffers of a training step.
//
// The D loss is Eq. 4 with noisy labels. For G we minimize the non-saturating
// loss −E log D(G(z)) instead of Eq. 5's LG = −LD: both have the same fixed
// point, but −LD's gradient vanishes when D confidently rejects the early,
// poor samples, which stalls G at the start (Goodfellow et al. 2014, §3); the
// DCGAN code the paper builds on does the same.
type GAN struct {
	Arch       Arch
	G, D       *Net
	OptG, OptD *Adam
	// LabelNoise is the probability that a label of the D loss is flipped.
	LabelNoise float64
	// Sync averages the gradients over data-parallel ranks before each
	// update; nil for one rank. See SetSync.
	Sync Sync
	// EMA, when set, averages G's weights after every G update; Sampler
	// then returns it.
	EMA *EMA
	// ModeSeeking, when positive, is the weight of the mode-seeking term of
	// G's loss (see GeneratorGrads).
	ModeSeeking float64

	ones, dLogits []float32
}

// StepStats are the losses of one GAN step on this rank's part of the batch,
// D's mean outputs, and whether an update was skipped because some rank's
// gradients were not finite.
type StepStats struct {
	LossD, LossG float64
	DReal, DFake float64 // mean σ(D(x)) on the real and generated batch
	SkipD, SkipG bool
}

// SetSync makes the steps average gradients over the ranks of s, and, with
// syncBatchNorm, makes every batch norm of G and D normalize over the global
// batch.
func (m *GAN) SetSync(s Sync, syncBatchNorm bool) {
	m.Sync = s
	if syncBatchNorm {
		syncNorms(s, m.G, m.D)
	}
}

func syncNorms(s Sync, nets ...*Net) {
	for _, n := range nets {
		for _, l := range n.Layers {
			if bn, ok := l.(*BatchNorm); ok {
				bn.Sync = s
			}
		}
	}
}

// NewGAN builds G and D for arch, initialized from rng.
func NewGAN(arch Arch, opt AdamConfig, rng *rand.Rand) (*GAN, error) {
	g, err := NewGenerator(arch)
	if err != nil {
		return nil, err
	}
	d, err := NewDiscriminator(arch)
	if err != nil {
		return nil, err
	}
	g.Init(rng)
	d.Init(rng)
	return &GAN{Arch: arch, G: g, D: d, OptG: NewAdam(opt, len(g.Params)), OptD: NewAdam(opt, len(d.Params))}, nil
}

// SampleLatent fills z with standard normal draws.
func SampleLatent(z []float32, rng *rand.Rand) { normalInit(rng, z, 0, 1) }

// GANBatch is the input of one GAN step on this rank: N real samples, N latent
// vectors and the labels of the D loss (1 for real, 0 for generated, some
// flipped: see NoisyLabels). The caller draws them, so that it decides which
// random stream each sample comes from.
type GANBatch struct {
	N                               int
	Real, Z, RealLabels, FakeLabels []float32
}

// NewGANBatch allocates a batch of n samples for arch.
func NewGANBatch(arch Arch, n int) *GANBatch {
	return &GANBatch{N: n, Real: make([]float32, n*arch.ImageShape().Size()), Z: make([]float32, n*arch.Latent),
		RealLabels: make([]float32, n), FakeLabels: make([]float32, n)}
}

// Draw fills Z and the labels of sample i from rng: the latent vector, then
// the real and the fake label with label noise frac.
func (b *GANBatch) Draw(i int, frac float64, rng *rand.Rand) {
	latent := len(b.Z) / b.N
	SampleLatent(b.Z[i*latent:(i+1)*latent], rng)
	NoisyLabels(b.RealLabels[i:i+1], 1, frac, rng)
	NoisyLabels(b.FakeLabels[i:i+1], 0, frac, rng)
}

// Step performs one GAN training step on a batch (this rank's part of the
// global batch): one D update on the real samples and generated ones, then
// one G update that reuses the same generated samples. An update whose
// averaged gradients are not finite is skipped on every rank.
func (m *GAN) Step(ws *Workspace, b *GANBatch) (StepStats, error) {
	if b.N < 1 || len(b.Real) < b.N*m.D.In.Size() || len(b.Z) < b.N*m.Arch.Latent {
		return StepStats{}, fmt.Errorf("GAN step: batch of %d samples with %d real and %d latent values", b.N, len(b.Real), len(b.Z))
	}
	fake := m.G.Forward(ws, b.Z, b.N, true)
	m.D.ZeroGrads()
	var st StepStats
	st.LossD, st.DReal, st.DFake = m.DiscriminatorGrads(ws, b.Real, fake, b.RealLabels, b.FakeLabels, b.N)
	var err error
	if st.SkipD, err = update(ws, m.Sync, m.D, m.OptD); err != nil {
		return st, err
	}

	m.G.ZeroGrads()
	st.LossG = m.GeneratorGrads(ws, fake, b.Z, b.N)
	st.SkipG, err = update(ws, m.Sync, m.G, m.OptG)
	if err == nil && !st.SkipG && m.EMA != nil {
		m.EMA.Update(m.G, m.OptG.Step)
	}
	return st, err
}

// Sampler is the generator to sample from: the moving average of G's weights
// where training keeps one, else G.
func (m *GAN) Sampler() *Net {
	if m.EMA != nil {
		return m.EMA.Net
	}
	return m.G
}

// update averages n's gradients over the ranks and applies them, unless they
// are not finite: then it reports the step skipped.
func update(ws *Workspace, s Sync, n *Net, opt *Adam) (skipped bool, err error) {
	finite, err := averageGradients(s, n.Grads)
	if err != nil || !finite {
		return !finite, err
	}
	opt.Update(ws.Team, n.Params, n.Grads)
	return false, nil
}

// DiscriminatorGrads adds to D.Grads the gradient of the D loss of Eq. 4,
// LD = ½·BCE(D(real), realLabels) + ½·BCE(D(fake), fakeLabels), and returns LD
// with the mean D outputs on both batches.
func (m *GAN) DiscriminatorGrads(ws *Workspace, real, fake, realLabels, fakeLabels []float32, batch int) (loss, dReal, dFake float64) {
	dl := kernels.Grow(&m.dLogits, batch)
	logits := m.D.Forward(ws, real, batch, true)
	dReal = meanSigmoid(logits)
	loss = BCEWithLogits(logits, realLabels, dl, 0.5)
	m.D.Backward(ws, dl, true, false)

	logits = m.D.Forward(ws, fake, batch, true)
	dFake = meanSigmoid(logits)
	loss += BCEWithLogits(logits, fakeLabels, dl, 0.5)
	m.D.Backward(ws, dl, true, false)
	return loss, dReal, dFake
}

// GeneratorGrads adds to G.Grads the gradient of −mean log D(G(z)) for the
// batch fake that the latest G.Forward produced from z, plus the
// mode-seeking term with ModeSeeking, and returns that loss. D's gradients
// are not touched.
func (m *GAN) GeneratorGrads(ws *Workspace, fake, z []float32, batch int) float64 {
	dl := kernels.Grow(&m.dLogits, batch)
	ones := kernels.Grow(&m.ones, batch)
	for i := range ones {
		ones[i] = 1
	}
	logits := m.D.Forward(ws, fake, batch, true)
	loss := BCEWithLogits(logits, ones, dl, 1)
	dFake := m.D.Backward(ws, dl, false, true)
	if m.ModeSeeking > 0 {
		loss += modeSeeking(fake, z, dFake, batch, m.ModeSeeking)
	}
	m.G.Backward(ws, dFake, true, false)
	return loss
}

// modeSeekingEps keeps the mode-seeking term finite for identical samples.
const modeSeekingEps = 1e-5

// modeSeeking adds to grad (the gradient with respect to the samples x) the
// gradient of the mode-seeking term (Mao et al. 2019, "Mode seeking
// generative adversarial networks for diverse image synthesis") and returns
// the term: the batch is split in halves, sample i paired with i + h, and
//
//	L = λ/h · Σ_i 1/(r_i + ε),   r_i = mean|x_i − x_{i+h}| / mean|z_i − z_{i+h}|,
//
// which grows without bound as two samples of different latent vectors
// become alike: a generator that maps many z to one image pays for it.
// With an odd batch the last sample is left out.
func modeSeeking(x, z, grad []float32, batch int, lambda float64) float64 {
	h := batch / 2
	if h == 0 {
		return 0
	}
	px, pz := len(x)/batch, len(z)/batch
	var loss float64
	for i := range h {
		xa, xb := x[i*px:(i+1)*px], x[(i+h)*px:(i+h+1)*px]
		za, zb := z[i*pz:(i+1)*pz], z[(i+h)*pz:(i+h+1)*pz]
		var dx, dz float64
		for p, v := range xa {
			dx += math.Abs(float64(v) - float64(xb[p]))
		}
		for k, v := range za {
			dz += math.Abs(float64(v) - float64(zb[k]))
		}
		dx, dz = dx/float64(px), dz/float64(pz)
		r := dx / dz
		loss += 1 / (r + modeSeekingEps)
		// ∂L/∂x_a = −λ/h · (r + ε)⁻² · sign(x_a − x_b) / (px·dz), and minus that for x_b.
		c := lambda / float64(h) / ((r + modeSeekingEps) * (r + modeSeekingEps)) / (float64(px) * dz)
		ga, gb := grad[i*px:(i+1)*px], grad[(i+h)*px:(i+h+1)*px]
		for p, v := range xa {
			d := float64(v) - float64(xb[p])
			if d == 0 {
				continue
			}
			g := float32(math.Copysign(c, d))
			ga[p] -= g
			gb[p] += g
		}
	}
	return lambda * loss / float64(h)
}

func meanSigmoid(logits []float32) float64 {
	var s float64
	for _, v := range logits {
		s += sigmoid(float64(v))
	}
	return s / float64(len(logits))
}

// AE is the autoencoder of §3.2: a trained encoder E in front of the frozen
// generator G as decoder, trained with the feature loss of Eq. 7 measured by
// the frozen truncated discriminator TD. G and TD run in inference mode (batch
// norm with running statistics), so the decoder and the loss do not change
// with the batch.
//
// LatentWeight λ, when positive, adds a second term that teaches E to invert
// G where the answer is known: for latent vectors z drawn by the caller,
// λ·mean (E(G(z)) − z)², the latent regression of BiGAN-style inversion
// (Donahue et al. 2017). Not in the paper; the paper's Eq. 7 alone gives
// gradients to E only through G and TD, which a deep frozen G makes weak.
// Validation and early stopping keep Eq. 7 alone.
type AE struct {
	E, G, TD     *Net
	OptE         *Adam
	LatentWeight float64
	// Sync averages E's gradients over data-parallel ranks; nil for one rank.
	Sync Sync

	target, dFeat, dz []float32
}

// NewAE builds a fresh encoder for arch in front of the trained g and d.
func NewAE(arch Arch, g, d *Net, opt AdamConfig, rng *rand.Rand) (*AE, error) {
	e, err := NewEncoder(arch)
	if err != nil {
		return nil, err
	}
	e.Init(rng)
	return &AE{E: e, G: g, TD: TruncatedDiscriminator(d), OptE: NewAdam(opt, len(e.Params))}, nil
}

// SetSync makes the steps average E's gradients over the ranks of s and,
// with syncBatchNorm, E's batch norms normalize over the global batch (G and
// TD are frozen and use running statistics).
func (a *AE) SetSync(s Sync, syncBatchNorm bool) {
	a.Sync = s
	if syncBatchNorm {
		syncNorms(s, a.E)
	}
}

// Step performs one encoder update on a batch of crops x and, with
// LatentWeight, latent vectors z (batch of each; nil without), and returns
// this rank's loss and whether the update was skipped for non-finite
// gradients.
func (a *AE) Step(ws *Workspace, x, z []float32, batch int) (loss float64, skipped bool, err error) {
	a.E.ZeroGrads()
	loss = a.Grads(ws, x, batch)
	if a.LatentWeight > 0 {
		loss += a.LatentGrads(ws, z, batch)
	}
	skipped, err = update(ws, a.Sync, a.E, a.OptE)
	return loss, skipped, err
}

// LatentGrads adds to E.Grads the gradient of λ·mean (E(G(z)) − z)² (G in
// inference mode, as the decoder) and returns that term.
func (a *AE) LatentGrads(ws *Workspace, z []float32, batch int) float64 {
	zHat := a.E.Forward(ws, a.G.Forward(ws, z, batch, false), batch, true)
	dz := kernels.Grow(&a.dz, len(zHat))
	loss := FeatureLoss(zHat, z, dz)
	for i := range dz {
		dz[i] *= float32(a.LatentWeight)
	}
	a.E.Backward(ws, dz, true, false)
	return a.LatentWeight * loss
}

// Grads adds to E.Grads the gradient of ‖TD(x) − TD(G(E(x)))‖² (mean over
// features) and returns that loss.
func (a *AE) Grads(ws *Workspace, x []float32, batch int) float64 {
	loss, dFeat := a.forward(ws, x, batch, true)
	dz := a.G.Backward(ws, a.TD.Backward(ws, dFeat, false, true), false, true)
	a.E.Backward(ws, dz, true, false)
	return loss
}

// Loss evaluates the Eq. 7 loss on a batch without training (E in inference
// mode), as for validation and early stopping.
func (a *AE) Loss(ws *Workspace, x []float32, batch int) float64 {
	loss, _ := a.forward(ws, x, batch, false)
	return loss
}

// forward returns the loss and its gradient with respect to TD's output.
func (a *AE) forward(ws *Workspace, x []float32, batch int, train bool) (float64, []float32) {
	target := kernels.Grow(&a.target, batch*a.TD.Out.Size())
	copy(target, a.TD.Forward(ws, x, batch, false))
	z := a.E.Forward(ws, x, batch, train)
	f := a.TD.Forward(ws, a.G.Forward(ws, z, batch, false), batch, false)
	df := kernels.Grow(&a.dFeat, len(f))
	return FeatureLoss(f, target, df), df
}

// Encode writes E(x) for a batch into z (inference mode).
func (a *AE) Encode(ws *Workspace, x []float32, batch int, z []float32) {
	copy(z, a.E.Forward(ws, x, batch, false))
}

package model

import (
	"fmt"
	"math/rand/v2"
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

	z, labels, dLogits []float32
}

// StepStats are the losses of one GAN step and D's mean outputs.
type StepStats struct {
	LossD, LossG float64
	DReal, DFake float64 // mean σ(D(x)) on the real and generated batch
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
func SampleLatent(z []float32, rng *rand.Rand) {
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
}

// Step performs one GAN training step on a real batch (batch × image size):
// one D update on the real batch and a generated one, then one G update that
// reuses the same generated batch.
func (m *GAN) Step(ctx *Ctx, real []float32, batch int, rng *rand.Rand) (StepStats, error) {
	if len(real) < batch*m.D.In.Size() || batch < 1 {
		return StepStats{}, fmt.Errorf("GAN step: batch %d of %d values, have %d values", batch, m.D.In.Size(), len(real))
	}
	z := grow(&m.z, batch*m.Arch.Latent)
	SampleLatent(z, rng)
	fake := m.G.Forward(ctx, z, batch, true)

	realLabels, fakeLabels := grow(&m.labels, 2*batch)[:batch], m.labels[batch:2*batch]
	NoisyLabels(realLabels, 1, m.LabelNoise, rng)
	NoisyLabels(fakeLabels, 0, m.LabelNoise, rng)
	m.D.ZeroGrads()
	var st StepStats
	st.LossD, st.DReal, st.DFake = m.DiscriminatorGrads(ctx, real, fake, realLabels, fakeLabels, batch)
	m.OptD.Update(ctx.Team, m.D.Params, m.D.Grads)

	m.G.ZeroGrads()
	st.LossG = m.GeneratorGrads(ctx, fake, batch)
	m.OptG.Update(ctx.Team, m.G.Params, m.G.Grads)
	return st, nil
}

// DiscriminatorGrads adds to D.Grads the gradient of the D loss of Eq. 4,
// LD = ½·BCE(D(real), realLabels) + ½·BCE(D(fake), fakeLabels), and returns LD
// with the mean D outputs on both batches.
func (m *GAN) DiscriminatorGrads(ctx *Ctx, real, fake, realLabels, fakeLabels []float32, batch int) (loss, dReal, dFake float64) {
	dl := grow(&m.dLogits, batch)
	logits := m.D.Forward(ctx, real, batch, true)
	dReal = meanSigmoid(logits)
	loss = BCEWithLogits(logits, realLabels, dl, 0.5)
	m.D.Backward(ctx, dl, true, false)

	logits = m.D.Forward(ctx, fake, batch, true)
	dFake = meanSigmoid(logits)
	loss += BCEWithLogits(logits, fakeLabels, dl, 0.5)
	m.D.Backward(ctx, dl, true, false)
	return loss, dReal, dFake
}

// GeneratorGrads adds to G.Grads the gradient of −mean log D(G(z)) for the
// batch fake that the latest G.Forward produced, and returns that loss. D's
// gradients are not touched.
func (m *GAN) GeneratorGrads(ctx *Ctx, fake []float32, batch int) float64 {
	dl := grow(&m.dLogits, batch)
	ones := grow(&m.labels, 2*batch)[:batch]
	for i := range ones {
		ones[i] = 1
	}
	logits := m.D.Forward(ctx, fake, batch, true)
	loss := BCEWithLogits(logits, ones, dl, 1)
	dFake := m.D.Backward(ctx, dl, false, true)
	m.G.Backward(ctx, dFake, true, false)
	return loss
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
type AE struct {
	E, G, TD *Net
	OptE     *Adam

	target, dFeat []float32
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

// Step performs one encoder update on a batch and returns the loss.
func (a *AE) Step(ctx *Ctx, x []float32, batch int) float64 {
	a.E.ZeroGrads()
	loss := a.Grads(ctx, x, batch)
	a.OptE.Update(ctx.Team, a.E.Params, a.E.Grads)
	return loss
}

// Grads adds to E.Grads the gradient of ‖TD(x) − TD(G(E(x)))‖² (mean over
// features) and returns that loss.
func (a *AE) Grads(ctx *Ctx, x []float32, batch int) float64 {
	loss, dFeat := a.forward(ctx, x, batch, true)
	dz := a.G.Backward(ctx, a.TD.Backward(ctx, dFeat, false, true), false, true)
	a.E.Backward(ctx, dz, true, false)
	return loss
}

// Loss evaluates the Eq. 7 loss on a batch without training (E in inference
// mode), as for validation and early stopping.
func (a *AE) Loss(ctx *Ctx, x []float32, batch int) float64 {
	loss, _ := a.forward(ctx, x, batch, false)
	return loss
}

// forward returns the loss and its gradient with respect to TD's output.
func (a *AE) forward(ctx *Ctx, x []float32, batch int, train bool) (float64, []float32) {
	target := grow(&a.target, batch*a.TD.Out.Size())
	copy(target, a.TD.Forward(ctx, x, batch, false))
	z := a.E.Forward(ctx, x, batch, train)
	f := a.TD.Forward(ctx, a.G.Forward(ctx, z, batch, false), batch, false)
	df := grow(&a.dFeat, len(f))
	return FeatureLoss(f, target, df), df
}

// Encode writes E(x) for a batch into z (inference mode).
func (a *AE) Encode(ctx *Ctx, x []float32, batch int, z []float32) {
	copy(z, a.E.Forward(ctx, x, batch, false))
}

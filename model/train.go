package model

import (
	"fmt"
	"math"
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
	// Sync averages the gradients over data-parallel ranks before each
	// update; nil for one rank. See SetSync.
	Sync Sync
	// EMA, when set, averages G's weights after every G update; Sampler
	// then returns it.
	EMA *EMA
	// ModeSeeking, when positive, is the weight of the mode-seeking term of
	// G's loss (see modeSeeking).
	ModeSeeking float64
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

// Sampler is the generator to sample from: the moving average of G's weights
// where training keeps one, else G.
func (m *GAN) Sampler() *Net {
	if m.EMA != nil {
		return m.EMA.Net
	}
	return m.G
}

// ganSteps is GANTrainer on a backend whose buffers are of type B: the GAN
// step, written once for every backend.
type ganSteps[B any] struct {
	m    *GAN
	ops  ops[B]
	g, d netOps[B]
	mirror[B]

	real, z, realLabels, fakeLabels, ones, dLogits B
}

func newGANSteps[B any](m *GAN, o ops[B]) (*ganSteps[B], error) {
	t := &ganSteps[B]{m: m, ops: o}
	var zero B
	if _, ok := o.host(zero); m.ModeSeeking > 0 && !ok {
		o.close()
		return nil, fmt.Errorf("the mode-seeking term (gan.mode_seeking) has no GPU implementation yet: train it on the CPU")
	}
	var err error
	if t.g, err = o.net(m.G, m.OptG); err == nil {
		t.d, err = o.net(m.D, m.OptD)
	}
	if err != nil {
		o.close()
		return nil, err
	}
	t.mirror = mirror[B]{ops: o, trained: []netOps[B]{t.g, t.d}}
	return t, nil
}

func (t *ganSteps[B]) Step(b *GANBatch) (StepStats, error) {
	m, o, n := t.m, t.ops, b.N
	if n < 1 || len(b.Real) < n*m.D.In.Size() || len(b.Z) < n*m.Arch.Latent || len(b.RealLabels) < n || len(b.FakeLabels) < n {
		return StepStats{}, fmt.Errorf("GAN step: batch of %d samples with %d real and %d latent values", n, len(b.Real), len(b.Z))
	}
	real := o.load(&t.real, b.Real[:n*m.D.In.Size()])
	z := o.load(&t.z, b.Z[:n*m.Arch.Latent])
	realLabels, fakeLabels := o.load(&t.realLabels, b.RealLabels[:n]), o.load(&t.fakeLabels, b.FakeLabels[:n])

	var st StepStats
	var err error
	fake := t.g.forward(z, n, true)
	t.d.zeroGrads()
	t.discriminatorGrads(real, fake, realLabels, fakeLabels, n)
	if st.SkipD, err = update(t.d, m.OptD, m.Sync); err != nil {
		return st, err
	}
	t.g.zeroGrads()
	modeSeeking := t.generatorGrads(fake, z, n)
	if st.SkipG, err = update(t.g, m.OptG, m.Sync); err != nil {
		return st, err
	}
	if !st.SkipG && m.EMA != nil {
		t.g.pullWeights()
		if err := o.wait(); err != nil {
			return st, err
		}
		m.EMA.Update(m.G, m.OptG.Step)
	}
	l, err := o.results()
	st.LossD, st.DReal, st.DFake, st.LossG = l[0]+l[2], l[1], l[3], l[4]+modeSeeking
	return st, err
}

// discriminatorGrads adds to D's gradients those of the D loss of Eq. 4,
// LD = ½·BCE(D(real), realLabels) + ½·BCE(D(fake), fakeLabels); its two
// terms and the mean D outputs go to result slots 0 to 3.
func (t *ganSteps[B]) discriminatorGrads(real, fake, realLabels, fakeLabels B, n int) {
	dl := t.ops.buf(&t.dLogits, n)
	t.ops.bce(0.5, t.d.forward(real, n, true), realLabels, dl, 0)
	t.d.backward(dl, true, false)
	t.ops.bce(0.5, t.d.forward(fake, n, true), fakeLabels, dl, 2)
	t.d.backward(dl, true, false)
}

// generatorGrads adds to G's gradients those of −mean log D(fake), for the
// batch fake that G's latest forward pass produced from z, and with
// ModeSeeking those of the mode-seeking term, which it returns; the loss goes
// to result slot 4. D's gradients are not touched.
func (t *ganSteps[B]) generatorGrads(fake, z B, n int) (modeSeekingLoss float64) {
	dl := t.ops.buf(&t.dLogits, n)
	t.ops.bce(1, t.d.forward(fake, n, true), t.ops.fill(&t.ones, n, 1), dl, 4)
	dFake := t.d.backward(dl, false, true)
	if t.m.ModeSeeking > 0 { // on host buffers: newGANSteps refuses it elsewhere
		x, _ := t.ops.host(fake)
		zs, _ := t.ops.host(z)
		g, _ := t.ops.host(dFake)
		modeSeekingLoss = modeSeeking(x, zs, g, n, t.m.ModeSeeking)
	}
	t.g.backward(dFake, true, false)
	return modeSeekingLoss
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

// aeSteps is AETrainer on a backend whose buffers are of type B: the AE
// step, written once for every backend.
type aeSteps[B any] struct {
	a         *AE
	ops       ops[B]
	e, g, td  netOps[B]
	mirror[B] // of E: G and TD are frozen

	x, target, dFeat, z, dz B
}

func newAESteps[B any](a *AE, o ops[B]) (*aeSteps[B], error) {
	t := &aeSteps[B]{a: a, ops: o}
	var zero B
	if _, ok := o.host(zero); a.LatentWeight > 0 && !ok {
		o.close()
		return nil, fmt.Errorf("the AE's latent regression (ae.latent_weight) has no GPU implementation yet: train it on the CPU")
	}
	var err error
	if t.e, err = o.net(a.E, a.OptE); err == nil {
		if t.g, err = o.net(a.G, nil); err == nil {
			t.td, err = o.net(a.TD, nil)
		}
	}
	if err != nil {
		o.close()
		return nil, err
	}
	t.mirror = mirror[B]{ops: o, trained: []netOps[B]{t.e}}
	return t, nil
}

func (t *aeSteps[B]) Step(x, z []float32, batch int) (loss float64, skipped bool, err error) {
	t.e.zeroGrads()
	t.grads(x, batch)
	if t.a.LatentWeight > 0 {
		t.latentGrads(z, batch)
	}
	if skipped, err = update(t.e, t.a.OptE, t.a.Sync); err != nil {
		return 0, skipped, err
	}
	l, err := t.ops.results()
	if t.a.LatentWeight > 0 {
		loss = t.a.LatentWeight * l[1]
	}
	return l[0] + loss, skipped, err
}

// latentGrads adds to E's gradients those of λ·mean (E(G(z)) − z)² (G in
// inference mode, as the decoder); the mean goes to result slot 1. The
// weighting runs on host buffers: newAESteps refuses it elsewhere.
func (t *aeSteps[B]) latentGrads(z []float32, batch int) {
	o, n := t.ops, batch*t.a.G.In.Size()
	zb := o.load(&t.z, z[:n])
	zHat := t.e.forward(t.g.forward(zb, batch, false), batch, true)
	dz := o.buf(&t.dz, n)
	o.featureLoss(zHat, zb, dz, 1)
	g, _ := o.host(dz)
	for i := range g {
		g[i] *= float32(t.a.LatentWeight)
	}
	t.e.backward(dz, true, false)
}

func (t *aeSteps[B]) Loss(x []float32, batch int) (float64, error) {
	t.forward(x, batch, false)
	l, err := t.ops.results()
	return l[0], err
}

// grads adds to E's gradients those of ‖TD(x) − TD(G(E(x)))‖² (mean over
// features); the loss goes to result slot 0.
func (t *aeSteps[B]) grads(x []float32, batch int) {
	df := t.forward(x, batch, true)
	dz := t.g.backward(t.td.backward(df, false, true), false, true)
	t.e.backward(dz, true, false)
}

// forward puts the loss in result slot 0 and returns its gradient with
// respect to TD's output.
func (t *aeSteps[B]) forward(x []float32, batch int, train bool) B {
	o, features := t.ops, batch*t.a.TD.Out.Size()
	in := o.load(&t.x, x[:batch*t.a.E.In.Size()])
	target := o.copyOf(&t.target, t.td.forward(in, batch, false), features)
	f := t.td.forward(t.g.forward(t.e.forward(in, batch, train), batch, false), batch, false)
	df := o.buf(&t.dFeat, features)
	o.featureLoss(f, target, df, 0)
	return df
}

package model

import (
	"fmt"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// deviceOpt is an Adam optimizer whose moments live on the device; the host
// Adam keeps the hyperparameters and the step count.
type deviceOpt struct {
	host *Adam
	m, v cuda.F32
}

func newDeviceOpt(dev *cuda.Device, a *Adam) deviceOpt {
	o := deviceOpt{host: a, m: cuda.Alloc[float32](dev, len(a.M)), v: cuda.Alloc[float32](dev, len(a.V))}
	cuda.Upload(dev, o.m, a.M)
	cuda.Upload(dev, o.v, a.V)
	return o
}

// deviceUpdate is update for a network on the device. The gradients make one
// round trip through the host, where they are averaged over the ranks and
// checked; the update itself runs on the device.
func deviceUpdate(dev *cuda.Device, s Sync, n *DeviceNet, opt deviceOpt) (skipped bool, err error) {
	cuda.Download(dev, n.Net.Grads, n.Grads)
	if err := dev.Synchronize(); err != nil {
		return false, err
	}
	finite, err := averageGradients(s, n.Net.Grads)
	if err != nil || !finite {
		return !finite, err
	}
	if s != nil && s.Size() > 1 {
		cuda.Upload(dev, n.Grads, n.Net.Grads)
	}
	a := opt.host
	a.Step++
	dev.Adam(n.Params, n.Grads, opt.m, opt.v, a.LR, a.Beta1, a.Beta2, a.Eps, a.Step)
	return false, dev.Err()
}

// scalars downloads the first len(dst) loss values of out into dst.
func scalars(dev *cuda.Device, out cuda.Buffer[float64], dst []float64) error {
	cuda.Download(dev, dst, out.Slice(0, len(dst)))
	return dev.Synchronize()
}

// DeviceGAN trains a GAN on a GPU: the same step as GAN.Step, with G, D and
// their optimizer moments on the device. Per step the host uploads the batch,
// downloads the loss values, and each network's gradients make one round trip
// for the all-reduce. The host GAN holds the reference copy of the weights:
// Pull and Push synchronize it for checkpoints and evaluation.
type DeviceGAN struct {
	Host       *GAN
	dev        *cuda.Device
	G, D       *DeviceNet
	optG, optD deviceOpt

	real, z, realLabels, fakeLabels, ones, dLogits cuda.F32
	// out holds each BCE's loss and mean σ: D on real, D on fake, the G loss;
	// losses is its host copy, read once per step (a slice of its own: cgo
	// refuses a pointer into a struct that holds Go pointers).
	out    cuda.Buffer[float64]
	losses []float64
}

// NewDeviceGAN uploads m's networks and optimizer state to dev.
func NewDeviceGAN(dev *cuda.Device, m *GAN) (*DeviceGAN, error) {
	g, err := NewDeviceNet(dev, m.G)
	if err != nil {
		return nil, err
	}
	d, err := NewDeviceNet(dev, m.D)
	if err != nil {
		return nil, err
	}
	dg := &DeviceGAN{Host: m, dev: dev, G: g, D: d, optG: newDeviceOpt(dev, m.OptG), optD: newDeviceOpt(dev, m.OptD),
		out: cuda.Alloc[float64](dev, 6), losses: make([]float64, 6)}
	return dg, dev.Err()
}

// Step is GAN.Step on the device.
func (m *DeviceGAN) Step(b *GANBatch) (StepStats, error) {
	if b.N < 1 || len(b.Real) < b.N*m.Host.D.In.Size() || len(b.Z) < b.N*m.Host.Arch.Latent {
		return StepStats{}, fmt.Errorf("GAN step: batch of %d samples with %d real and %d latent values", b.N, len(b.Real), len(b.Z))
	}
	dev, n := m.dev, b.N
	real := grow(dev, &m.real, n*m.Host.D.In.Size())
	z := grow(dev, &m.z, n*m.Host.Arch.Latent)
	realLabels, fakeLabels := grow(dev, &m.realLabels, n), grow(dev, &m.fakeLabels, n)
	dl := grow(dev, &m.dLogits, n)
	cuda.Upload(dev, real, b.Real[:real.Len])
	cuda.Upload(dev, z, b.Z[:z.Len])
	cuda.Upload(dev, realLabels, b.RealLabels[:n])
	cuda.Upload(dev, fakeLabels, b.FakeLabels[:n])
	if m.ones.Len < n {
		ones := make([]float32, n)
		for i := range ones {
			ones[i] = 1
		}
		cuda.Upload(dev, grow(dev, &m.ones, n), ones)
	}

	// The losses are read at the end, so that the step waits for the device
	// only where the gradients go to the host anyway.
	var st StepStats
	var err error
	fake := m.G.Forward(z, n, true)
	m.D.ZeroGrads()
	dev.BCEWithLogits(0.5, m.D.Forward(real, n, true), realLabels, dl, m.out.Slice(0, 2))
	m.D.Backward(dl, true, false)
	dev.BCEWithLogits(0.5, m.D.Forward(fake, n, true), fakeLabels, dl, m.out.Slice(2, 4))
	m.D.Backward(dl, true, false)
	if st.SkipD, err = deviceUpdate(dev, m.Host.Sync, m.D, m.optD); err != nil {
		return st, err
	}

	m.G.ZeroGrads()
	dev.BCEWithLogits(1, m.D.Forward(fake, n, true), m.ones.Slice(0, n), dl, m.out.Slice(4, 6))
	m.G.Backward(m.D.Backward(dl, false, true), true, false)
	if st.SkipG, err = deviceUpdate(dev, m.Host.Sync, m.G, m.optG); err != nil {
		return st, err
	}
	l := m.losses
	err = scalars(dev, m.out, l)
	st.LossD, st.DReal, st.DFake, st.LossG = l[0]+l[2], l[1], l[3], l[4]
	return st, err
}

// Pull copies the device weights, state and optimizer moments into the host
// GAN.
func (m *DeviceGAN) Pull() error {
	for _, n := range []*DeviceNet{m.G, m.D} {
		n.Pull()
	}
	for _, o := range []deviceOpt{m.optG, m.optD} {
		cuda.Download(m.dev, o.host.M, o.m)
		cuda.Download(m.dev, o.host.V, o.v)
	}
	return m.dev.Synchronize()
}

// Push copies the host GAN's weights, state and optimizer moments to the
// device, after a restore or a broadcast changed them.
func (m *DeviceGAN) Push() error {
	for _, n := range []*DeviceNet{m.G, m.D} {
		n.Push()
	}
	for _, o := range []deviceOpt{m.optG, m.optD} {
		cuda.Upload(m.dev, o.m, o.host.M)
		cuda.Upload(m.dev, o.v, o.host.V)
	}
	return m.dev.Err()
}

// PullState copies the device batch-norm statistics of G and D to the host.
func (m *DeviceGAN) PullState() error {
	m.G.PullState()
	m.D.PullState()
	return m.dev.Synchronize()
}

// PushState copies the host batch-norm statistics of G and D to the device.
func (m *DeviceGAN) PushState() error {
	m.G.PushState()
	m.D.PushState()
	return m.dev.Err()
}

// DeviceAE is AE on a GPU: E, the frozen G and TD, and E's optimizer moments
// live on the device. Pull and Push synchronize E with the host AE.
type DeviceAE struct {
	Host     *AE
	dev      *cuda.Device
	E, G, TD *DeviceNet
	opt      deviceOpt

	x, target, dFeat cuda.F32
	out              cuda.Buffer[float64] // the feature loss
	lossHost         []float64            // its host copy
}

// NewDeviceAE uploads a's networks and E's optimizer state to dev.
func NewDeviceAE(dev *cuda.Device, a *AE) (*DeviceAE, error) {
	d := &DeviceAE{Host: a, dev: dev, opt: newDeviceOpt(dev, a.OptE), out: cuda.Alloc[float64](dev, 1), lossHost: make([]float64, 1)}
	var err error
	for _, p := range []struct {
		dst **DeviceNet
		n   *Net
	}{{&d.E, a.E}, {&d.G, a.G}, {&d.TD, a.TD}} {
		if *p.dst, err = NewDeviceNet(dev, p.n); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Step is AE.Step on the device.
func (a *DeviceAE) Step(x []float32, batch int) (loss float64, skipped bool, err error) {
	a.E.ZeroGrads()
	dFeat := a.forward(x, batch, true)
	dz := a.G.Backward(a.TD.Backward(dFeat, false, true), false, true)
	a.E.Backward(dz, true, false)
	if skipped, err = deviceUpdate(a.dev, a.Host.Sync, a.E, a.opt); err != nil {
		return 0, skipped, err
	}
	loss, err = a.loss()
	return loss, skipped, err
}

// Loss is AE.Loss on the device.
func (a *DeviceAE) Loss(x []float32, batch int) (float64, error) {
	a.forward(x, batch, false)
	return a.loss()
}

// Encode is AE.Encode on the device.
func (a *DeviceAE) Encode(x []float32, batch int, z []float32) error {
	in := grow(a.dev, &a.x, batch*a.E.Net.In.Size())
	cuda.Upload(a.dev, in, x[:in.Len])
	cuda.Download(a.dev, z[:batch*a.E.Net.Out.Size()], a.E.Forward(in, batch, false))
	return a.dev.Synchronize()
}

// forward uploads x, computes the feature loss into out and returns its
// gradient with respect to TD's output.
func (a *DeviceAE) forward(x []float32, batch int, train bool) cuda.F32 {
	in := grow(a.dev, &a.x, batch*a.E.Net.In.Size())
	cuda.Upload(a.dev, in, x[:in.Len])
	t := a.TD.Forward(in, batch, false)
	target := grow(a.dev, &a.target, t.Len)
	cuda.Copy(a.dev, target, t)
	f := a.TD.Forward(a.G.Forward(a.E.Forward(in, batch, train), batch, false), batch, false)
	df := grow(a.dev, &a.dFeat, f.Len)
	a.dev.FeatureLoss(f, target, df, a.out)
	return df
}

func (a *DeviceAE) loss() (float64, error) {
	err := scalars(a.dev, a.out, a.lossHost)
	return a.lossHost[0], err
}

// Pull copies E's device weights, state and optimizer moments into the host AE.
func (a *DeviceAE) Pull() error {
	a.E.Pull()
	cuda.Download(a.dev, a.opt.host.M, a.opt.m)
	cuda.Download(a.dev, a.opt.host.V, a.opt.v)
	return a.dev.Synchronize()
}

// Push copies the host AE's E (weights, state, optimizer moments) to the device.
func (a *DeviceAE) Push() error {
	a.E.Push()
	cuda.Upload(a.dev, a.opt.m, a.opt.host.M)
	cuda.Upload(a.dev, a.opt.v, a.opt.host.V)
	return a.dev.Err()
}

// PullState copies E's device batch-norm statistics to the host.
func (a *DeviceAE) PullState() error {
	a.E.PullState()
	return a.dev.Synchronize()
}

// PushState copies E's host batch-norm statistics to the device.
func (a *DeviceAE) PushState() error {
	a.E.PushState()
	return a.dev.Err()
}

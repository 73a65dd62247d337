package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda/cudatest"
)

// pair is the same GAN twice, trained on the CPU and on the device (whose
// host networks are host).
type pair struct {
	cpu, host    *GAN
	onCPU, onGPU GANTrainer
}

func ganPair(t *testing.T, ws *Workspace, arch Arch, opt AdamConfig) pair {
	t.Helper()
	var p pair
	var err error
	for _, m := range []**GAN{&p.cpu, &p.host} {
		if *m, err = NewGAN(arch, opt, rand.New(rand.NewPCG(7, 7))); err != nil {
			t.Fatal(err)
		}
	}
	if p.onCPU, err = NewGANTrainer(p.cpu, CPU(ws)); err != nil {
		t.Fatal(err)
	}
	if p.onGPU, err = NewGANTrainer(p.host, GPU(cudatest.Device(t))); err != nil {
		t.Fatal(err)
	}
	return p
}

// stepBoth draws a new batch and takes one GAN step with it on both.
func stepBoth(t *testing.T, p pair, b *GANBatch, rng *rand.Rand) (got, want StepStats) {
	t.Helper()
	normalInit(rng, b.Real, 0, 0.5)
	drawAll(b, 0.1, rng)
	want, err := p.onCPU.Step(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = p.onGPU.Step(b); err != nil {
		t.Fatal(err)
	}
	return got, want
}

// Tolerances of the device against the CPU. One step's gradients differ only
// by float32 summation order: 1e-4 of the largest gradient. Over 20 steps of
// Adam, parameters whose gradients are at rounding level move by up to lr per
// step either way, so the weights are compared relative to how far training
// moved them (the emulator, which sums in the CPU's order more often, stays
// under 1e-6 of it), and the losses within 1e-3.
const (
	gradTol  = 1e-4
	trainTol = 1e-3
	lossTol  = 1e-3
)

// TestDeviceGradientsMatchTheCPU runs one GAN step with learning rate 0 on
// both: same losses, same gradients of G and D, same batch-norm statistics.
func TestDeviceGradientsMatchTheCPU(t *testing.T) {
	ws := NewWorkspace(kernels.NewTeam(1))
	for _, arch := range tinyArchs() {
		t.Run(fmt.Sprintf("%dD", arch.Dim), func(t *testing.T) {
			opt := DefaultAdam()
			opt.LR = 0
			p := ganPair(t, ws, arch, opt)
			cpu, host := p.cpu, p.host
			rng := rand.New(rand.NewPCG(1, 1))
			b := NewGANBatch(arch, 3)
			got, want := stepBoth(t, p, b, rng)
			if err := p.onGPU.Pull(); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"D loss", got.LossD, want.LossD}, {"G loss", got.LossG, want.LossG}, {"D(real)", got.DReal, want.DReal}, {"D(fake)", got.DFake, want.DFake}} {
				if math.Abs(c.got-c.want) > 1e-5*(1+math.Abs(c.want)) {
					t.Errorf("%s = %g on the device, %g on the CPU", c.what, c.got, c.want)
				}
			}
			for _, c := range []struct {
				what      string
				got, want []float32
			}{{"G gradients", host.G.Grads, cpu.G.Grads}, {"D gradients", host.D.Grads, cpu.D.Grads},
				{"G state", host.G.State, cpu.G.State}, {"D state", host.D.State, cpu.D.State}} {
				if d := cudatest.MaxRelDiff(c.got, c.want); d > gradTol {
					t.Errorf("%s differ by %.2g of their largest value (> %g)", c.what, d, gradTol)
				}
			}
		})
	}
}

// TestDeviceTrainingMatchesTheCPU trains 20 GAN steps, then 20 AE steps (on
// the same trained G and D), on both.
func TestDeviceTrainingMatchesTheCPU(t *testing.T) {
	ws := NewWorkspace(kernels.NewTeam(1))
	const steps = 20
	for _, arch := range tinyArchs() {
		t.Run(fmt.Sprintf("%dD", arch.Dim), func(t *testing.T) {
			p := ganPair(t, ws, arch, DefaultAdam())
			cpu, host := p.cpu, p.host
			g0, d0 := append([]float32(nil), cpu.G.Params...), append([]float32(nil), cpu.D.Params...)
			rng := rand.New(rand.NewPCG(2, 2))
			b := NewGANBatch(arch, 4)
			for s := range steps {
				got, want := stepBoth(t, p, b, rng)
				if math.Abs(got.LossD-want.LossD) > lossTol || math.Abs(got.LossG-want.LossG) > lossTol {
					t.Errorf("step %d: losses D %g, G %g on the device, %g, %g on the CPU", s, got.LossD, got.LossG, want.LossD, want.LossG)
				}
			}
			if err := p.onGPU.Pull(); err != nil {
				t.Fatal(err)
			}
			compareTrained(t, "G", host.G.Params, cpu.G.Params, g0)
			compareTrained(t, "D", host.D.Params, cpu.D.Params, d0)

			// The AE on the CPU-trained G and D, twice.
			aeCPU, err := NewAE(arch, cpu.G, cpu.D, DefaultAdam(), rand.New(rand.NewPCG(3, 3)))
			if err != nil {
				t.Fatal(err)
			}
			aeHost, err := NewAE(arch, cpu.G, cpu.D, DefaultAdam(), rand.New(rand.NewPCG(3, 3)))
			if err != nil {
				t.Fatal(err)
			}
			aeOnCPU, err := NewAETrainer(aeCPU, CPU(ws))
			if err != nil {
				t.Fatal(err)
			}
			aeGPU, err := NewAETrainer(aeHost, GPU(cudatest.Device(t)))
			if err != nil {
				t.Fatal(err)
			}
			e0 := append([]float32(nil), aeCPU.E.Params...)
			for s := range steps {
				normalInit(rng, b.Real, 0, 0.5)
				want, _, err := aeOnCPU.Step(b.Real, nil, b.N)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := aeGPU.Step(b.Real, nil, b.N)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-want) > lossTol*(1+want) {
					t.Errorf("AE step %d: loss %g on the device, %g on the CPU", s, got, want)
				}
			}
			if err := aeGPU.Pull(); err != nil {
				t.Fatal(err)
			}
			compareTrained(t, "E", aeHost.E.Params, aeCPU.E.Params, e0)
			want, err := aeOnCPU.Loss(b.Real, b.N)
			if err != nil {
				t.Fatal(err)
			}
			got, err := aeGPU.Loss(b.Real, b.N)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > lossTol*(1+want) {
				t.Errorf("AE validation loss %g on the device, %g on the CPU", got, want)
			}
		})
	}
}

// compareTrained checks that got is as close to want as training moved want
// from start, within trainTol.
func compareTrained(t *testing.T, name string, got, want, start []float32) {
	t.Helper()
	var diff, moved float64
	for i := range want {
		diff += math.Pow(float64(got[i])-float64(want[i]), 2)
		moved += math.Pow(float64(want[i])-float64(start[i]), 2)
	}
	if r := math.Sqrt(diff / moved); !(r <= trainTol) {
		t.Errorf("%s after training: device and CPU weights differ by %.2g of the distance training moved them (> %g)", name, r, trainTol)
	} else {
		t.Logf("%s: device vs CPU difference %.2g of the training displacement", name, r)
	}
}

// TestDeviceStepAllocatesNothingOnceWarm: like the CPU step, a warm GAN+AE
// step on the device allocates no Go memory (launch arguments, loss values
// and gradients reuse their buffers).
func TestDeviceStepAllocatesNothingOnceWarm(t *testing.T) {
	arch := tinyArchs()[1]
	rng := rand.New(rand.NewPCG(1, 1))
	gan, err := NewGAN(arch, DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	dev := cudatest.Device(t)
	dg, err := NewGANTrainer(gan, GPU(dev))
	if err != nil {
		t.Fatal(err)
	}
	ae, err := NewAE(arch, gan.G, gan.D, DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	da, err := NewAETrainer(ae, GPU(dev))
	if err != nil {
		t.Fatal(err)
	}
	b := NewGANBatch(arch, 2)
	normalInit(rng, b.Real, 0, 0.5)
	step := func() {
		drawAll(b, 0.1, rng)
		if _, err := dg.Step(b); err != nil {
			t.Fatal(err)
		}
		if _, _, err := da.Step(b.Real, nil, b.N); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(3, step); n != 0 {
		t.Errorf("a warm GAN+AE step on the device allocates %.0f times, want 0", n)
	}
}

// TestDeviceEMAMatchesTheCPU: the moving average of G, updated in the step
// on either backend (on a GPU from G's weights pulled to the host), follows
// the same weights.
func TestDeviceEMAMatchesTheCPU(t *testing.T) {
	ws := NewWorkspace(kernels.NewTeam(1))
	arch := tinyArchs()[0]
	p := ganPair(t, ws, arch, DefaultAdam())
	for _, m := range []*GAN{p.cpu, p.host} {
		var err error
		if m.EMA, err = NewEMA(arch, m.G, 0.9); err != nil {
			t.Fatal(err)
		}
	}
	start := append([]float32(nil), p.cpu.EMA.Net.Params...)
	rng := rand.New(rand.NewPCG(4, 4))
	b := NewGANBatch(arch, 4)
	for range 10 {
		stepBoth(t, p, b, rng)
	}
	compareTrained(t, "G's moving average", p.host.EMA.Net.Params, p.cpu.EMA.Net.Params, start)
	if d := cudatest.MaxRelDiff(p.host.EMA.Net.State, p.cpu.EMA.Net.State); d > gradTol {
		t.Errorf("the averaged batch-norm statistics differ by %.2g of their largest value (> %g)", d, gradTol)
	}
}

// TestGPURefusesLayersWithoutCounterpart: a network with a layer that has no
// device counterpart is refused by the GPU backend, and by Arch.CheckGPU
// before anything is built, naming the network, the layer and its kind.
func TestGPURefusesLayersWithoutCounterpart(t *testing.T) {
	base := tinyArchs()[0]
	if err := base.CheckGPU(); err != nil {
		t.Fatalf("the paper's layers: %v", err)
	}
	for _, c := range []struct {
		set  func(*Arch)
		want string
	}{
		{func(a *Arch) { a.MinibatchStd = true }, "D layer 5 (MinibatchStd) has no GPU implementation"},
		{func(a *Arch) { a.Upsample = "resize" }, "G layer 4 (Upsample) has no GPU implementation"},
		{func(a *Arch) { a.DNorm = "spectral" }, "D layer 0 (SpectralNorm) has no GPU implementation"},
	} {
		arch := base
		c.set(&arch)
		if err := arch.CheckGPU(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckGPU = %v, want %q", err, c.want)
		}
		gan, err := NewGAN(arch, DefaultAdam(), rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewGANTrainer(gan, GPU(cudatest.Device(t))); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewGANTrainer on the GPU = %v, want %q", err, c.want)
		}
	}
}

package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
)

// The gradient checks compare every analytic gradient with a central finite
// difference (f(θ+h) − f(θ−h))/2h of a scalar loss evaluated in float32
// arithmetic (accumulated in float64), on sampled coordinates. Two errors are
// expected: float32 rounding of the loss divided by 2h, and, in networks with
// ReLU/LeakyReLU, the kinks that a ±h perturbation crosses (an O(h) error that
// shrinks with h, unlike a wrong gradient). The checks therefore ask that
//   - the relative error ‖numeric − analytic‖/‖analytic‖ over the sampled
//     coordinates is below tol (1e-2 for single layers, where inputs are kept
//     away from kinks; 3e-2 for whole networks), and
//   - no coordinate is off by more than tol·10 times the RMS gradient.
// A wrong gradient (a sign, a transposition, a missing term) gives relative
// errors of order 1.

type fdCase struct {
	name  string
	x     []float32 // the perturbed values
	grad  []float32 // the analytic gradient of loss with respect to x
	h     float64
	tol   float64
	loss  func() float64
	count int // coordinates to sample; all when ≥ len(x)
}

func checkFD(t *testing.T, c fdCase, rng *rand.Rand) {
	t.Helper()
	idx := make([]int, 0, c.count)
	if c.count >= len(c.x) {
		for i := range c.x {
			idx = append(idx, i)
		}
	} else {
		for range c.count {
			idx = append(idx, rng.IntN(len(c.x)))
		}
	}
	num := make([]float64, len(idx))
	for k, i := range idx {
		orig := c.x[i]
		c.x[i] = orig + float32(c.h)
		lp := c.loss()
		c.x[i] = orig - float32(c.h)
		lm := c.loss()
		c.x[i] = orig
		step := float64(orig+float32(c.h)) - float64(orig-float32(c.h)) // the step actually taken
		num[k] = (lp - lm) / step
	}
	var diff2, ana2 float64
	for k, i := range idx {
		d := num[k] - float64(c.grad[i])
		diff2 += d * d
		ana2 += float64(c.grad[i]) * float64(c.grad[i])
	}
	if ana2 == 0 {
		t.Fatalf("%s: analytic gradient is zero on every sampled coordinate: the check proves nothing", c.name)
	}
	rel := math.Sqrt(diff2 / ana2)
	rms := math.Sqrt(ana2 / float64(len(idx)))
	t.Logf("%s: relative error %.3g over %d coordinates", c.name, rel, len(idx))
	if rel > c.tol {
		t.Errorf("%s: relative error %.3g over %d coordinates, tolerance %g", c.name, rel, len(idx), c.tol)
	}
	for k, i := range idx {
		if d := math.Abs(num[k] - float64(c.grad[i])); d > 10*c.tol*rms {
			t.Errorf("%s: coordinate %d: analytic %.6g, finite difference %.6g (RMS gradient %.3g)", c.name, i, c.grad[i], num[k], rms)
			break
		}
	}
}

// projection returns L = Σ r_i·y_i accumulated in float64: a loss whose
// gradient with respect to y is r.
func projection(y, r []float32) float64 {
	var s float64
	for i, v := range y {
		s += float64(v) * float64(r[i])
	}
	return s
}

func TestLayerGradients(t *testing.T) {
	team := kernels.NewTeam(2)
	defer team.Close()
	ws := NewWorkspace(team)
	sq := func(c, n int) Shape { return Shape{C: c, Spatial: [3]int{1, n, n}} }
	cube := func(c, n int) Shape { return Shape{C: c, Spatial: [3]int{n, n, n}} }
	flat := func(c int) Shape { return Shape{C: c, Spatial: [3]int{1, 1, 1}} }
	cases := []struct {
		name  string
		in    Shape
		layer func() Layer
		train bool
		h     float64
	}{
		{"dense", flat(7), func() Layer { return &Dense{Out: 5, Bias: true} }, true, 1e-2},
		{"conv2d k5 s2", sq(3, 8), func() Layer { return &Conv{Dim: 2, Out: 4, Kernel: 5, Stride: 2, Pad: 2, Bias: true} }, true, 1e-2},
		{"conv2d k3 s1 odd", sq(2, 7), func() Layer { return &Conv{Dim: 2, Out: 3, Kernel: 3, Stride: 1, Pad: 1, Bias: true} }, true, 1e-2},
		{"conv3d k4 s2", cube(2, 6), func() Layer { return &Conv{Dim: 3, Out: 3, Kernel: 4, Stride: 2, Pad: 1, Bias: true} }, true, 1e-2},
		{"tconv2d k5 s2", sq(3, 4), func() Layer {
			return &ConvTranspose{Dim: 2, Out: 2, Kernel: 5, Stride: 2, Pad: 2, OutPad: 1, Bias: true}
		}, true, 1e-2},
		{"tconv3d k4 s2", cube(3, 3), func() Layer { return &ConvTranspose{Dim: 3, Out: 2, Kernel: 4, Stride: 2, Pad: 1, Bias: true} }, true, 1e-2},
		{"batchnorm train 2d", sq(3, 4), func() Layer { return &BatchNorm{} }, true, 1e-2},
		{"batchnorm train 1d", flat(6), func() Layer { return &BatchNorm{} }, true, 1e-2},
		{"batchnorm inference 3d", cube(2, 3), func() Layer { return &BatchNorm{} }, false, 1e-2},
		{"relu", sq(2, 5), func() Layer { return &Activation{Kind: ReLU} }, true, 1e-3},
		{"leaky relu", sq(2, 5), func() Layer { return &Activation{Kind: LeakyReLU} }, true, 1e-3},
		{"tanh", sq(2, 5), func() Layer { return &Activation{Kind: Tanh} }, true, 1e-2},
		{"minibatch std 2d", sq(3, 2), func() Layer { return &MinibatchStd{} }, true, 1e-2},
		{"upsample 2d", sq(2, 3), func() Layer { return &Upsample{Dim: 2} }, true, 1e-2},
		{"upsample 3d", cube(2, 2), func() Layer { return &Upsample{Dim: 3} }, true, 1e-2},
		{"minibatch std 3d", cube(2, 2), func() Layer { return &MinibatchStd{} }, false, 1e-2},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			net, err := NewNet(tc.name, tc.in, tc.layer())
			if err != nil {
				t.Fatal(err)
			}
			net.Init(rng)
			normalInit(rng, net.Params, 0, 0.5)
			for i := range net.State { // running statistics: a mean and a positive variance
				net.State[i] = float32(0.5 + rng.Float64())
			}
			batch := 3
			x := make([]float32, batch*tc.in.Size())
			normalInit(rng, x, 0, 1)
			for i, v := range x { // keep the kinks of ReLU out of reach of ±h
				if math.Abs(float64(v)) < 0.05 {
					x[i] = 0.1
				}
			}
			r := make([]float32, batch*net.Out.Size())
			normalInit(rng, r, 0, 1)
			loss := func() float64 { return projection(net.Forward(ws, x, batch, tc.train), r) }

			loss()
			net.ZeroGrads()
			dx := append([]float32(nil), net.Backward(ws, r, true, true)...)
			checkFD(t, fdCase{name: "input", x: x, grad: dx, h: tc.h, tol: 1e-2, loss: loss, count: 40}, rng)
			if len(net.Params) > 0 {
				grads := append([]float32(nil), net.Grads...)
				checkFD(t, fdCase{name: "parameters", x: net.Params, grad: grads, h: tc.h, tol: 1e-2, loss: loss, count: 40}, rng)
			}
		})
	}
}

// tinyArchs are small versions of Tables A.1 and A.2: same layer kinds,
// kernels and strides, fewer channels and pixels.
func tinyArchs() []Arch {
	return []Arch{
		{Dim: 2, Size: 16, Latent: 6, Kernel: 5, GFilters: []int{6, 3, 1}, DFilters: []int{3, 6}},
		{Dim: 3, Size: 8, Latent: 5, Kernel: 4, GFilters: []int{4, 2, 1}, DFilters: []int{2, 4}},
	}
}

// TestNetworkGradients checks the gradients that the training steps apply: the
// D loss with respect to D's parameters, the G loss with respect to G's
// parameters (through D), and the AE loss of Eq. 7 with respect to E's
// parameters (through the frozen G and TD).
func TestNetworkGradients(t *testing.T) {
	team := kernels.NewTeam(2)
	defer team.Close()
	ws := NewWorkspace(team)
	withStd := tinyArchs()[0]
	withStd.MinibatchStd = true
	resize := tinyArchs()[1]
	resize.Upsample = "resize"
	for ai, arch := range append(tinyArchs(), withStd, resize) {
		name := fmt.Sprintf("%dD", arch.Dim)
		if arch.MinibatchStd {
			name += " minibatch std"
		}
		if arch.Upsample != "" {
			name += " " + arch.Upsample
		}
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ai), 11))
			gan, err := NewGAN(arch, DefaultAdam(), rng)
			if err != nil {
				t.Fatal(err)
			}
			// Larger weights than DCGAN's N(0, 0.02) init so that every
			// layer passes a gradient well above float32 rounding.
			spread(rng, gan.G)
			spread(rng, gan.D)
			batch := 4
			size := arch.ImageShape().Size()
			real := make([]float32, batch*size)
			normalInit(rng, real, 0, 0.5)
			z := make([]float32, batch*arch.Latent)
			SampleLatent(z, rng)
			realLabels := []float32{1, 1, 0, 1}
			fakeLabels := []float32{0, 1, 0, 0}

			tr, err := newGANSteps[[]float32](gan, &cpuOps{ws: ws})
			if err != nil {
				t.Fatal(err)
			}
			fake := append([]float32(nil), gan.G.Forward(ws, z, batch, true)...)
			lossD := func() float64 {
				tr.discriminatorGrads(real, fake, realLabels, fakeLabels, batch)
				l, _ := tr.ops.results()
				return l[0] + l[2]
			}
			gan.D.ZeroGrads()
			lossD()
			gradD := append([]float32(nil), gan.D.Grads...)
			checkFD(t, fdCase{name: "D loss wrt D", x: gan.D.Params, grad: gradD, h: 3e-4, loss: lossD, tol: 3e-2, count: 64}, rng)

			lossG := func() float64 {
				ms := tr.generatorGrads(gan.G.Forward(ws, z, batch, true), z, batch)
				l, _ := tr.ops.results()
				return l[4] + ms
			}
			gan.G.ZeroGrads()
			lossG()
			gradG := append([]float32(nil), gan.G.Grads...)
			checkFD(t, fdCase{name: "G loss wrt G", x: gan.G.Params, grad: gradG, h: 3e-4, loss: lossG, tol: 3e-2, count: 64}, rng)
			if arch.Dim == 2 { // the tiny 3D G saturates its tanh, where |x_a − x_b| has kinks within ±h
				gan.ModeSeeking = 0.5
				gan.G.ZeroGrads()
				lossG()
				gradG = append([]float32(nil), gan.G.Grads...)
				checkFD(t, fdCase{name: "G loss with mode seeking wrt G", x: gan.G.Params, grad: gradG, h: 1e-4, loss: lossG, tol: 3e-2, count: 64}, rng)
				gan.ModeSeeking = 0
			}

			ae, err := NewAE(arch, gan.G, gan.D, DefaultAdam(), rng)
			if err != nil {
				t.Fatal(err)
			}
			spread(rng, ae.E)
			at, err := newAESteps[[]float32](ae, &cpuOps{ws: ws})
			if err != nil {
				t.Fatal(err)
			}
			lossAE := func() float64 {
				at.grads(real, batch)
				l, _ := at.ops.results()
				return l[0]
			}
			ae.E.ZeroGrads()
			lossAE()
			gradE := append([]float32(nil), ae.E.Grads...)
			checkFD(t, fdCase{name: "AE loss wrt E", x: ae.E.Params, grad: gradE, h: 3e-4, loss: lossAE, tol: 3e-2, count: 64}, rng)

			ae.LatentWeight = 0.7
			lossLatent := func() float64 {
				at.latentGrads(z, batch)
				l, _ := at.ops.results()
				return ae.LatentWeight * l[1]
			}
			ae.E.ZeroGrads()
			lossLatent()
			gradL := append([]float32(nil), ae.E.Grads...)
			checkFD(t, fdCase{name: "latent loss wrt E", x: ae.E.Params, grad: gradL, h: 3e-4, loss: lossLatent, tol: 3e-2, count: 64}, rng)
		})
	}
}

// spread replaces the DCGAN initialization (weights N(0, 0.02²)) by larger
// weights, N(0, 0.3²), so that every layer passes gradients well above float32
// rounding; batch norm keeps γ near 1 and β near 0 so its units stay alive.
func spread(rng *rand.Rand, n *Net) {
	normalInit(rng, n.Params, 0, 0.3)
	for _, l := range n.Layers {
		if bn, ok := l.(*BatchNorm); ok {
			normalInit(rng, bn.gamma, 1, 0.1)
			normalInit(rng, bn.beta, 0, 0.1)
		}
	}
}

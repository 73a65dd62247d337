package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/cosmogan/cosmogan/kernels"
)

// TestSpectralNormSigma checks the power iteration against the largest
// singular value from gonum's SVD of the same weight matrix, for a
// convolution and a dense layer, and that the wrapped layer then computes
// with W/σ (its output equals the unwrapped layer's with W/σ).
func TestSpectralNormSigma(t *testing.T) {
	team := kernels.NewTeam(2)
	defer team.Close()
	ws := NewWorkspace(team)
	for _, tc := range []struct {
		name string
		in   Shape
		make func() Layer
	}{
		{"conv", Shape{C: 3, Spatial: [3]int{1, 8, 8}}, func() Layer { return &Conv{Dim: 2, Out: 5, Kernel: 4, Stride: 2, Pad: 1, Bias: true} }},
		{"dense", Shape{C: 12, Spatial: [3]int{1, 1, 1}}, func() Layer { return &Dense{Out: 4, Bias: true} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			sn := &SpectralNorm{Layer: tc.make()}
			net, err := NewNet(tc.name, tc.in, sn)
			if err != nil {
				t.Fatal(err)
			}
			net.Init(rng)
			x := make([]float32, 2*tc.in.Size())
			normalInit(rng, x, 0, 1)
			for range 200 { // training passes: one power step each
				net.Forward(ws, x, 2, true)
			}
			rows, cols := sn.rows, sn.cols
			w := mat.NewDense(rows, cols, nil)
			for i := range rows {
				for j := range cols {
					w.Set(i, j, float64(net.Params[i*cols+j]))
				}
			}
			var svd mat.SVD
			if !svd.Factorize(w, mat.SVDNone) {
				t.Fatal("SVD failed")
			}
			want := svd.Values(nil)[0]
			if got := sn.Sigma(); math.Abs(got-want) > 1e-4*want {
				t.Errorf("σ = %.7g, SVD's largest singular value %.7g", got, want)
			}

			// The wrapped layer alone, with W/σ as its weights, gives the same output.
			plain := tc.make()
			ref, err := NewNet("plain", tc.in, plain)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range net.Params {
				ref.Params[i] = v
				if i < rows*cols {
					ref.Params[i] = float32(float64(v) / sn.Sigma())
				}
			}
			got := net.Forward(ws, x, 2, false)
			for i, v := range ref.Forward(ws, x, 2, false) {
				if math.Abs(float64(got[i]-v)) > 1e-5*(1+math.Abs(float64(v))) {
					t.Fatalf("output %d: %g with spectral norm, %g with W/σ", i, got[i], v)
				}
			}
		})
	}
}

// TestSpectralNormGradients compares the gradients with respect to the raw
// weights, the bias and the input with finite differences, in inference
// mode, where u and v are fixed as the gradient formula assumes.
func TestSpectralNormGradients(t *testing.T) {
	team := kernels.NewTeam(2)
	defer team.Close()
	ws := NewWorkspace(team)
	for _, tc := range []struct {
		name string
		in   Shape
		l    Layer
	}{
		{"conv", Shape{C: 2, Spatial: [3]int{1, 6, 6}}, &Conv{Dim: 2, Out: 3, Kernel: 4, Stride: 2, Pad: 1, Bias: true}},
		{"dense", Shape{C: 7, Spatial: [3]int{1, 1, 1}}, &Dense{Out: 5, Bias: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			net, err := NewNet(tc.name, tc.in, &SpectralNorm{Layer: tc.l})
			if err != nil {
				t.Fatal(err)
			}
			net.Init(rng)
			normalInit(rng, net.Params, 0, 0.5)
			batch := 3
			x := make([]float32, batch*tc.in.Size())
			normalInit(rng, x, 0, 1)
			for range 3 { // u and v away from their initial guess, not converged
				net.Forward(ws, x, batch, true)
			}
			r := make([]float32, batch*net.Out.Size())
			normalInit(rng, r, 0, 1)
			loss := func() float64 { return projection(net.Forward(ws, x, batch, false), r) }
			loss()
			net.ZeroGrads()
			dx := append([]float32(nil), net.Backward(ws, r, true, true)...)
			checkFD(t, fdCase{name: "input", x: x, grad: dx, h: 1e-2, tol: 1e-2, loss: loss, count: 40}, rng)
			grads := append([]float32(nil), net.Grads...)
			checkFD(t, fdCase{name: "parameters", x: net.Params, grad: grads, h: 1e-2, tol: 1e-2, loss: loss, count: len(net.Params)}, rng)
		})
	}
}

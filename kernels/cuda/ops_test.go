package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/kernels/cuda/cudatest"
)

// Tolerances. Float32 sums of K products differ from exact ones by about
// √K·2⁻²⁴ of the sum of the terms' magnitudes, and at worst K·2⁻²⁴; products
// are compared within 1e-5 of that magnitude (K ≤ 400 here). Elementwise
// kernels are compared within a few float32 ulps.
const (
	sumTol  = 1e-5
	elemTol = 4e-7
)

func random(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func upload(d *cuda.Device, x []float32) cuda.F32 {
	b := cuda.Alloc[float32](d, len(x))
	cuda.Upload(d, b, x)
	return b
}

func download(t *testing.T, d *cuda.Device, b cuda.F32) []float32 {
	t.Helper()
	x := make([]float32, b.Len)
	cuda.Download(d, x, b)
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
	return x
}

// within checks got against want elementwise: |got − want| ≤ tol·scale + tol
// with scale the magnitude each value is a sum of (nil: |want|).
func within(t *testing.T, what string, got []float32, want, scale []float64, tol float64) {
	t.Helper()
	worst, at := 0.0, -1
	for i, w := range want {
		s := math.Abs(w)
		if scale != nil {
			s = scale[i]
		}
		if e := math.Abs(float64(got[i])-w) / (s + 1); e > worst || math.IsNaN(e) {
			worst, at = e, i
		}
	}
	if worst > tol || at >= 0 && math.IsNaN(float64(got[at])) {
		t.Errorf("%s: value %d is %g, want %g (relative error %.2g > %.2g)", what, at, got[at], want[at], worst, tol)
	}
}

// direct computes a convolution, its input gradient and its weight gradient
// by definition, in float64, with the magnitudes of their terms.
func direct(s *kernels.ConvShape, batch, out int, x, w, dy []float32) (y, dx, dw, ys, dxs, dws []float64) {
	ivol, cvol, kvol := s.ImageVolume(), s.ColVolume(), s.KernelVolume()
	y, ys = make([]float64, batch*out*cvol), make([]float64, batch*out*cvol)
	dx, dxs = make([]float64, batch*s.C*ivol), make([]float64, batch*s.C*ivol)
	dw, dws = make([]float64, out*s.C*kvol), make([]float64, out*s.C*kvol)
	for b := range batch {
		for o := range out {
			for p := range cvol {
				pz, py, px := p/(s.Cols[1]*s.Cols[2]), p/s.Cols[2]%s.Cols[1], p%s.Cols[2]
				yi := (b*out+o)*cvol + p
				for c := range s.C {
					for t := range kvol {
						tz, ty, tx := t/(s.Kernel[1]*s.Kernel[2]), t/s.Kernel[2]%s.Kernel[1], t%s.Kernel[2]
						iz, iy, ix := pz*s.Stride[0]-s.Pad[0]+tz, py*s.Stride[1]-s.Pad[1]+ty, px*s.Stride[2]-s.Pad[2]+tx
						if iz < 0 || iy < 0 || ix < 0 || iz >= s.Image[0] || iy >= s.Image[1] || ix >= s.Image[2] {
							continue
						}
						xi := (b*s.C+c)*ivol + (iz*s.Image[1]+iy)*s.Image[2] + ix
						wi := (o*s.C+c)*kvol + t
						xv, wv, dv := float64(x[xi]), float64(w[wi]), float64(dy[yi])
						y[yi] += wv * xv
						ys[yi] += math.Abs(wv * xv)
						dx[xi] += wv * dv
						dxs[xi] += math.Abs(wv * dv)
						dw[wi] += dv * xv
						dws[wi] += math.Abs(dv * xv)
					}
				}
			}
		}
	}
	return
}

func addBias(y []float64, bias []float32, per int) {
	for i := range y {
		y[i] += float64(bias[i/per%len(bias)])
	}
}

func TestConvolutionsMatchTheDefinition(t *testing.T) {
	d := cudatest.Device(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ dim, c, out, n, k, s, p, batch int }{
		{2, 1, 5, 9, 5, 2, 2, 3},   // the paper's 2D layer shape, odd image
		{2, 3, 67, 8, 5, 2, 2, 2},  // more output channels than one tile
		{3, 3, 5, 7, 4, 2, 1, 2},   // the paper's 3D kernel, odd image
		{3, 2, 4, 6, 3, 1, 1, 1},   // stride 1
		{3, 1, 70, 4, 4, 2, 1, 3},  // the transposed convolutions' 4³ → 8³ geometry
		{3, 20, 24, 7, 4, 2, 1, 2}, // 32-row tiles both ways
		{3, 8, 40, 9, 5, 2, 2, 3},  // classes of 27, 18, 12 and 8 taps; many K slices
		{2, 3, 4, 7, 1, 2, 0, 2},   // stride above the kernel: classes without taps
		{3, 1, 8, 64, 4, 2, 1, 1},  // Table A.2's first layer at full size (fewer channels)
		{2, 1, 8, 128, 5, 2, 2, 1}, // Table A.1's first layer at full size (fewer channels)
	} {
		t.Run(fmt.Sprintf("%dD_c%d_o%d_n%d_k%d_s%d_p%d_b%d", tc.dim, tc.c, tc.out, tc.n, tc.k, tc.s, tc.p, tc.batch), func(t *testing.T) {
			s := kernels.NewConvShape(tc.dim, tc.c, tc.n, tc.k, tc.s, tc.p)
			x := random(rng, tc.batch*s.C*s.ImageVolume())
			w := random(rng, tc.out*s.Rows())
			dy := random(rng, tc.batch*tc.out*s.ColVolume())
			bo, bc := random(rng, tc.out), random(rng, tc.c)
			y, dx, dw, ys, dxs, dws := direct(&s, tc.batch, tc.out, x, w, dy)
			addBias(y, bo, s.ColVolume())
			addBias(dx, bc, s.ImageVolume())

			conv := d.NewConv(s, tc.out)
			gx, gw, gdy := upload(d, x), upload(d, w), upload(d, dy)
			gy := cuda.Alloc[float32](d, len(y))
			d.ConvForward(conv, tc.batch, gw, gx, upload(d, bo), gy)
			within(t, "forward", download(t, d, gy), y, ys, sumTol)

			gdx := cuda.Alloc[float32](d, len(dx))
			d.ConvBackwardData(conv, tc.batch, gw, gdy, upload(d, bc), gdx)
			within(t, "backward data", download(t, d, gdx), dx, dxs, sumTol)

			// The filter gradient accumulates: start from 1.
			ones := make([]float32, len(dw))
			for i := range ones {
				ones[i] = 1
				dw[i]++
			}
			gdw := upload(d, ones)
			d.ConvBackwardFilter(conv, tc.batch, gdy, gx, gdw)
			within(t, "backward filter", download(t, d, gdw), dw, dws, sumTol)
		})
	}
}

func TestGemmMatchesTheReference(t *testing.T) {
	d := cudatest.Device(t)
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 67, 70, 33
	for _, tc := range []struct{ ta, tb, acc, bias bool }{
		{false, false, false, false}, {false, true, false, true}, {true, false, true, false}, {true, true, true, true},
	} {
		a, b, c := random(rng, m*k), random(rng, k*n), random(rng, m*n)
		bias := random(rng, n)
		lda, ldb := k, n
		if tc.ta {
			lda = m
		}
		if tc.tb {
			ldb = k
		}
		want := append([]float32(nil), c...)
		beta := float32(0)
		if tc.acc {
			beta = 1
		}
		kernels.SgemmRef(tc.ta, tc.tb, m, n, k, 1, a, lda, b, ldb, beta, want, n)
		scale := make([]float32, m*n)
		abs := func(x []float32) []float32 {
			r := make([]float32, len(x))
			for i, v := range x {
				r[i] = float32(math.Abs(float64(v)))
			}
			return r
		}
		kernels.SgemmRef(tc.ta, tc.tb, m, n, k, 1, abs(a), lda, abs(b), ldb, 0, scale, n)
		w, s := make([]float64, m*n), make([]float64, m*n)
		var gbias cuda.F32
		for i := range w {
			w[i], s[i] = float64(want[i]), float64(scale[i])+math.Abs(float64(c[i]))
			if tc.bias {
				w[i] += float64(bias[i%n])
			}
		}
		if tc.bias {
			gbias = upload(d, bias)
		}
		gc := upload(d, c)
		d.Gemm(tc.ta, tc.tb, m, n, k, upload(d, a), upload(d, b), tc.acc, gbias, gc)
		within(t, fmt.Sprintf("gemm transA=%v transB=%v accumulate=%v bias=%v", tc.ta, tc.tb, tc.acc, tc.bias), download(t, d, gc), w, s, sumTol)
	}
}

func TestBatchNormMatchesTheCPUKernels(t *testing.T) {
	for _, sz := range [][3]int{{3, 5, 37}, {4, 3, 3001}} { // one block per channel; several
		t.Run(fmt.Sprint(sz), func(t *testing.T) { batchNormMatchesTheCPUKernels(t, sz[0], sz[1], sz[2]) })
	}
}

func batchNormMatchesTheCPUKernels(t *testing.T, batch, c, p int) {
	d := cudatest.Device(t)
	team := kernels.NewTeam(1)
	rng := rand.New(rand.NewPCG(5, 6))
	size := batch * c * p
	x, dy := random(rng, size), random(rng, size)
	for i := range x {
		x[i] = 3 + 2*x[i] // a mean and a spread far from 0 and 1
	}
	gamma, beta := random(rng, c), random(rng, c)
	gx, gdy := upload(d, x), upload(d, dy)

	sums := make([]float64, 2*c)
	kernels.BatchNormSums(team, batch, c, p, x, sums)
	gsums := cuda.Alloc[float64](d, 2*c)
	d.ChannelMoments(batch, c, p, gx, gx, gsums)
	got := make([]float64, 2*c)
	cuda.Download(d, got, gsums)
	within(t, "sums", toF32(got), sums, nil, 1e-6)

	// Statistics as model.BatchNorm computes them.
	n := float64(batch * p)
	mean, invStd := make([]float32, c), make([]float32, c)
	runMean, runVar := random(rng, c), make([]float32, c)
	for i := range runVar {
		runVar[i] = 0.5 + float32(i)
	}
	wantRM, wantRV := make([]float64, c), make([]float64, c)
	for ch := range c {
		mu := sums[ch] / n
		v := max(sums[c+ch]/n-mu*mu, 0)
		mean[ch], invStd[ch] = float32(mu), float32(1/math.Sqrt(v+1e-5))
		wantRM[ch] = float64(float32(0.9*float64(runMean[ch]) + 0.1*mu))
		wantRV[ch] = float64(float32(0.9*float64(runVar[ch]) + 0.1*v*n/(n-1)))
	}
	gmean, ginv := cuda.Alloc[float32](d, c), cuda.Alloc[float32](d, c)
	grm, grv := upload(d, runMean), upload(d, runVar)
	d.BatchNormStats(c, n, true, 0.1, 1e-5, gsums, gmean, ginv, grm, grv)
	within(t, "mean", download(t, d, gmean), toF64(mean), nil, elemTol)
	within(t, "1/σ", download(t, d, ginv), toF64(invStd), nil, elemTol)
	within(t, "running mean", download(t, d, grm), wantRM, nil, elemTol)
	within(t, "running variance", download(t, d, grv), wantRV, nil, elemTol)

	xhat, y := make([]float32, size), make([]float32, size)
	kernels.BatchNormApply(team, batch, c, p, x, mean, invStd, gamma, beta, xhat, y)
	gxhat, gy := cuda.Alloc[float32](d, size), cuda.Alloc[float32](d, size)
	d.BatchNormApply(batch, c, p, gx, gmean, ginv, upload(d, gamma), upload(d, beta), gxhat, gy)
	within(t, "x̂", download(t, d, gxhat), toF64(xhat), nil, 1e-5)
	within(t, "y", download(t, d, gy), toF64(y), nil, 1e-5)

	kernels.BatchNormGradSums(team, batch, c, p, dy, xhat, sums)
	d.ChannelMoments(batch, c, p, gdy, gxhat, gsums)
	cuda.Download(d, got, gsums)
	within(t, "gradient sums", toF32(got), sums, nil, 1e-5)

	for _, train := range []bool{true, false} {
		k := make([]float32, 3*c)
		for ch := range c {
			k1 := gamma[ch] * invStd[ch]
			k[c+ch] = k1
			if train {
				k[ch] = float32(float64(k1) * sums[ch] / n)
				k[2*c+ch] = float32(float64(k1) * sums[c+ch] / n)
			}
		}
		dx := make([]float32, size)
		kernels.BatchNormBackwardData(team, batch, c, p, dy, xhat, k[:c], k[c:2*c], k[2*c:], dx)
		gk, gdx := cuda.Alloc[float32](d, 3*c), cuda.Alloc[float32](d, size)
		d.BatchNormCoeffs(c, n, train, gsums, upload(d, gamma), ginv, gk)
		within(t, fmt.Sprintf("coefficients (train %v)", train), download(t, d, gk), toF64(k), nil, 1e-5)
		d.BatchNormBackwardData(batch, c, p, gdy, gxhat, gk, gdx)
		within(t, fmt.Sprintf("dx (train %v)", train), download(t, d, gdx), toF64(dx), nil, 1e-4)
	}

	grads := random(rng, c)
	want := make([]float64, c)
	for i := range want {
		want[i] = float64(grads[i] + float32(sums[i]))
	}
	gg := upload(d, grads)
	d.AddSums(gsums.Slice(0, c), gg)
	within(t, "add sums", download(t, d, gg), want, nil, elemTol)
}

func TestActivationsMatchTheCPUKernels(t *testing.T) {
	d := cudatest.Device(t)
	team := kernels.NewTeam(1)
	rng := rand.New(rand.NewPCG(7, 8))
	n := 1000 + 7
	x, dy := random(rng, n), random(rng, n)
	for i := range x {
		x[i] *= 4
	}
	for _, tc := range []struct {
		kind     cuda.Activation
		slope    float32
		fwd      func(x, y []float32)
		bwd      func(y, dy, dx []float32)
		name     string
		fwdTol   float64
		backward float64
	}{
		{cuda.LeakyReLU, 0, func(x, y []float32) { kernels.ReLU(team, x, y) }, func(y, dy, dx []float32) { kernels.ReLUBackward(team, y, dy, dx) }, "ReLU", 0, 0},
		{cuda.LeakyReLU, 0.2, func(x, y []float32) { kernels.LeakyReLU(team, 0.2, x, y) }, func(y, dy, dx []float32) { kernels.LeakyReLUBackward(team, 0.2, y, dy, dx) }, "LeakyReLU", 0, 0},
		{cuda.Tanh, 0, func(x, y []float32) { kernels.Tanh(team, x, y) }, func(y, dy, dx []float32) { kernels.TanhBackward(team, y, dy, dx) }, "tanh", 1e-6, 1e-5},
	} {
		y, dx := make([]float32, n), make([]float32, n)
		tc.fwd(x, y)
		tc.bwd(y, dy, dx)
		gy, gdx := cuda.Alloc[float32](d, n), cuda.Alloc[float32](d, n)
		d.Activate(tc.kind, float64(tc.slope), upload(d, x), gy)
		within(t, tc.name, download(t, d, gy), toF64(y), nil, tc.fwdTol+elemTol)
		d.ActivateBackward(tc.kind, float64(tc.slope), upload(d, y), upload(d, dy), gdx)
		within(t, tc.name+" backward", download(t, d, gdx), toF64(dx), nil, tc.backward+elemTol)
	}
}

func TestAdamMatchesTheCPUKernel(t *testing.T) {
	d := cudatest.Device(t)
	team := kernels.NewTeam(1)
	rng := rand.New(rand.NewPCG(9, 10))
	n := 1003
	p, g, m, v := random(rng, n), random(rng, n), random(rng, n), random(rng, n)
	for i := range v {
		v[i] *= v[i]
	}
	gp, gm, gv := upload(d, p), upload(d, m), upload(d, v)
	gg := upload(d, g)
	for step := 1; step <= 3; step++ {
		kernels.Adam(team, p, g, m, v, 2e-4, 0.5, 0.999, 1e-8, step)
		d.Adam(gp, gg, gm, gv, 2e-4, 0.5, 0.999, 1e-8, step)
	}
	within(t, "parameters", download(t, d, gp), toF64(p), nil, 1e-6)
	within(t, "first moments", download(t, d, gm), toF64(m), nil, 1e-6)
	within(t, "second moments", download(t, d, gv), toF64(v), nil, 1e-6)
}

// TestLossesMatchTheirDefinitions checks the BCE and feature losses and their
// gradients against float64 evaluations of their formulas (model/loss.go).
func TestLossesMatchTheirDefinitions(t *testing.T) {
	d := cudatest.Device(t)
	rng := rand.New(rand.NewPCG(11, 12))
	out := cuda.Alloc[float64](d, 2)
	got := make([]float64, 2)

	n := 1001
	logits, labels := random(rng, n), make([]float32, n)
	for i := range labels {
		logits[i] *= 5
		labels[i] = float32(i % 2)
	}
	const weight = 0.5
	var loss, sig float64
	grad := make([]float64, n)
	for i, xf := range logits {
		x, y := float64(xf), float64(labels[i])
		s := 1 / (1 + math.Exp(-x))
		loss += math.Max(x, 0) - x*y + math.Log1p(math.Exp(-math.Abs(x)))
		sig += s
		grad[i] = weight * (s - y) / float64(n)
	}
	gg := cuda.Alloc[float32](d, n)
	d.BCEWithLogits(weight, upload(d, logits), upload(d, labels), gg, out)
	cuda.Download(d, got, out)
	within(t, "BCE gradient", download(t, d, gg), grad, nil, 1e-6)
	within(t, "BCE loss and mean sigmoid", toF32(got), []float64{weight * loss / float64(n), sig / float64(n)}, nil, 1e-6)

	n = 50000 // shared out over several blocks
	f, target := random(rng, n), random(rng, n)
	loss = 0
	grad = make([]float64, n)
	for i := range f {
		df := float64(f[i]) - float64(target[i])
		loss += df * df
		grad[i] = 2 * df / float64(n)
	}
	gg = cuda.Alloc[float32](d, n)
	d.FeatureLoss(upload(d, f), upload(d, target), gg, out)
	cuda.Download(d, got, out)
	within(t, "feature-loss gradient", download(t, d, gg), grad, nil, 1e-6)
	within(t, "feature loss", toF32(got[:1]), []float64{loss / float64(n)}, nil, 1e-6)
}

func toF64(x []float32) []float64 {
	r := make([]float64, len(x))
	for i, v := range x {
		r[i] = float64(v)
	}
	return r
}

func toF32(x []float64) []float32 {
	r := make([]float32, len(x))
	for i, v := range x {
		r[i] = float32(v)
	}
	return r
}

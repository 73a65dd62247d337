package sim

import (
	"math"
	"testing"
)

// measurePower returns, per shell b = round(|k|) for b >= 1, the measured
// mean of |δ̂_k|²/n^dim, the mean of power(|k|) over the same modes, and the
// number of modes.
func measurePower(field []float32, dim, n int, power func(float64) float64) (meas, want []float64, count []int) {
	x := make([]complex128, len(field))
	for i, v := range field {
		x[i] = complex(float64(v), 0)
	}
	fftN(x, dim, n, false, 0)
	bins := int(math.Sqrt(float64(dim))*float64(n/2)) + 2
	meas, want, count = make([]float64, bins), make([]float64, bins), make([]int, bins)
	forEachK2(dim, n, func(i, k2 int) {
		k := math.Sqrt(float64(k2))
		b := int(math.Round(k))
		a := cmplxAbs2(x[i])
		meas[b] += a / float64(len(field))
		if k2 > 0 {
			want[b] += power(k)
		}
		count[b]++
	})
	for b := range bins {
		if count[b] > 0 {
			meas[b] /= float64(count[b])
			want[b] /= float64(count[b])
		}
	}
	return meas, want, count
}

// meanPowerRatio is the mean over all modes k ≠ 0 of |δ̂_k|²/(n^dim power(|k|)):
// 1 in expectation, with relative std 1/sqrt(modes/2).
func meanPowerRatio(field []float32, dim, n int, power func(float64) float64) (ratio float64, modes int) {
	x := make([]complex128, len(field))
	for i, v := range field {
		x[i] = complex(float64(v), 0)
	}
	fftN(x, dim, n, false, 0)
	forEachK2(dim, n, func(i, k2 int) {
		if k2 > 0 {
			ratio += cmplxAbs2(x[i]) / float64(len(field)) / power(math.Sqrt(float64(k2)))
			modes++
		}
	})
	return ratio / float64(modes), modes
}

func cmplxAbs2(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }

func TestGaussianFieldPowerSpectrum(t *testing.T) {
	power := func(k float64) float64 { return 3*math.Pow(k, -1.5) + 0.2 }
	for _, c := range []struct {
		dim, n int
		seeds  uint64
	}{{2, 64, 4}, {3, 16, 2}} {
		var meas, want []float64
		var count []int
		var ratio float64
		var modes int
		for s := range c.seeds {
			f := GaussianField(c.dim, c.n, power, 100+s)
			r, nm := meanPowerRatio(f, c.dim, c.n, power)
			ratio += r / float64(c.seeds)
			modes += nm
			m, w, cnt := measurePower(f, c.dim, c.n, power)
			if meas == nil {
				meas = make([]float64, len(m))
			}
			for b := range m {
				meas[b] += m[b] / float64(c.seeds)
			}
			want, count = w, cnt
		}
		// All shells together: a much tighter test of the amplitude.
		if tol := 5 / math.Sqrt(float64(modes)/2); math.Abs(ratio-1) > tol {
			t.Errorf("dim %d: mean measured/expected power over all modes %.4f, want 1 ± %.4f", c.dim, ratio, tol)
		}
		if meas[0] > 1e-9 {
			t.Errorf("dim %d: k=0 power %g, want 0", c.dim, meas[0])
		}
		for b := 1; b < len(meas); b++ {
			if count[b] == 0 {
				continue
			}
			// Modes pair as k, −k: count/2 independent exponential
			// variables per seed, each of relative std 1.
			indep := math.Max(1, float64(count[b])/2) * float64(c.seeds)
			tol := 5 / math.Sqrt(indep)
			if rel := math.Abs(meas[b]/want[b] - 1); rel > tol {
				t.Errorf("dim %d shell %d (%d modes): measured %g, want %g (rel. error %.3f > 5σ = %.3f)",
					c.dim, b, count[b], meas[b], want[b], rel, tol)
			}
		}
	}
}

func TestGaussianFieldMoments(t *testing.T) {
	for _, dim := range []int{2, 3} {
		n := 64
		if dim == 3 {
			n = 16
		}
		f := GaussianField(dim, n, func(float64) float64 { return 1 }, 9)
		var sum, sum2 float64
		for _, v := range f {
			sum += float64(v)
			sum2 += float64(v) * float64(v)
		}
		N := float64(len(f))
		mean := sum / N
		if math.Abs(mean) > 1e-6 {
			t.Errorf("dim %d: mean %g, want 0", dim, mean)
		}
		// White spectrum: variance = mean of P over k ≠ 0 = 1 − 1/N, with
		// the scatter of a sample variance, sqrt(2/N).
		v := sum2/N - mean*mean
		if want, tol := 1-1/N, 5*math.Sqrt(2/N); math.Abs(v-want) > tol {
			t.Errorf("dim %d: white-noise variance %g, want %g ± %g", dim, v, want, tol)
		}
	}
}

func TestGaussianFieldSeeds(t *testing.T) {
	p := func(k float64) float64 { return 1 / (1 + k*k) }
	a, b, c := GaussianField(2, 32, p, 5), GaussianField(2, 32, p, 5), GaussianField(2, 32, p, 6)
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 5 gives different fields at %d", i)
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Fatal("seeds 5 and 6 give the same field")
	}
}

func TestLognormalDensity(t *testing.T) {
	const (
		dim, n        = 2, 64
		slope, sigma  = -1.0, 1.0
		mean          = 5.0
		seeds         = 8
		totalVarScale = 0.15
	)
	var means, vars []float64
	for s := range uint64(seeds) {
		rho := LognormalDensity(dim, n, slope, sigma, mean, 1000+s)
		var sum, sl, sl2 float64
		for _, v := range rho {
			if !(v > 0) {
				t.Fatalf("seed %d: density %v, want > 0", s, v)
			}
			sum += float64(v)
			l := math.Log(float64(v) / mean)
			sl += l
			sl2 += l * l
		}
		N := float64(len(rho))
		means = append(means, sum/N)
		vars = append(vars, sl2/N-(sl/N)*(sl/N))
	}
	avg, sd := meanStd(means)
	// The mean over seeds agrees with meanDensity within 5 standard errors
	// (and within 10% in any case).
	if se := sd / math.Sqrt(seeds); math.Abs(avg-mean) > 5*se || math.Abs(avg/mean-1) > 0.1 {
		t.Errorf("lognormal mean %g ± %g over %d seeds, want %g", avg, se, seeds, mean)
	}
	// ln ρ has variance sigma² per pixel; a realisation's spatial variance
	// misses the (absent) k=0 mode and scatters through large-scale modes.
	if v, _ := meanStd(vars); math.Abs(v/(sigma*sigma)-1) > totalVarScale {
		t.Errorf("variance of ln ρ %g, want %g within %.0f%%", v, sigma*sigma, 100*totalVarScale)
	}
}

func meanStd(x []float64) (float64, float64) {
	var s, s2 float64
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	for _, v := range x {
		s2 += (v - m) * (v - m)
	}
	return m, math.Sqrt(s2 / float64(len(x)-1))
}

package eval

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cosmogan/cosmogan/data"
)

// imagePower returns P_i(ν) of one image with the code under test.
func imagePower(s Set, i int) []float64 {
	p := newSpectrumPlan(s.Side, s.Dim)
	out := make([]float64, s.Side/2)
	px := s.Pixels()
	p.newWork().power(s.Data[i*px:(i+1)*px], out)
	return out
}

// wave returns the integer wave vector of full-grid index idx, components
// in −N/2 … N/2−1, last axis fastest.
func wave(idx, n, dim int) []int {
	k := make([]int, dim)
	for a := dim - 1; a >= 0; a-- {
		k[a] = idx % n
		if k[a] >= n/2 {
			k[a] -= n
		}
		idx /= n
	}
	return k
}

func roundNorm(k []int) int {
	s := 0
	for _, c := range k {
		s += c * c
	}
	return int(math.Round(math.Sqrt(float64(s))))
}

// TestSpectrumAgainstDirectDFT checks Eq. (8) against its definition: the
// direct O(P²) DFT of a random field over the full grid, binned by
// round(|k|), in 2D and 3D.
func TestSpectrumAgainstDirectDFT(t *testing.T) {
	for _, tc := range []struct{ n, dim int }{{8, 2}, {10, 2}, {6, 3}, {8, 3}} {
		s := lognormalSet(1, tc.n, tc.dim, 7)
		p := s.Pixels()
		sum := make([]float64, tc.n/2)
		cnt := make([]float64, tc.n/2)
		for m := range p {
			km := wave(m, tc.n, tc.dim)
			var a complex128
			for j := range p {
				kj := wave(j, tc.n, tc.dim) // position, as wrapped indices
				ph := 0.0
				for ax := range tc.dim {
					ph += float64(km[ax] * kj[ax])
				}
				a += complex(float64(s.Data[j]), 0) * cmplx.Exp(complex(0, -2*math.Pi*ph/float64(tc.n)))
			}
			if nu := roundNorm(km); nu >= 1 && nu <= tc.n/2 {
				sum[nu-1] += real(a)*real(a) + imag(a)*imag(a)
				cnt[nu-1]++
			}
		}
		got := imagePower(s, 0)
		for b := range got {
			want := sum[b] / cnt[b] / float64(p)
			if math.Abs(got[b]-want) > 1e-9*want {
				t.Errorf("N=%d, %dD: P(%d) = %.12g, direct DFT %.12g", tc.n, tc.dim, b+1, got[b], want)
			}
		}
	}
}

// TestSpectrumWhiteNoise: white noise of variance σ² has P(ν) = σ² at every
// ν, whatever its mean. Each bin's mean over images is checked within four
// standard errors: |A_k|²/N^d is σ²·Exp(1), and half the modes of a bin are
// the conjugates of the other half.
func TestSpectrumWhiteNoise(t *testing.T) {
	const sigma = 0.5
	for _, tc := range []struct{ m, n, dim int }{{64, 32, 2}, {8, 16, 3}} {
		s := gaussianSet(tc.m, tc.n, tc.dim, 3, sigma, 11)
		plan := newSpectrumPlan(tc.n, tc.dim)
		mean := make([]float64, tc.n/2)
		for i := range tc.m {
			for b, v := range imagePower(s, i) {
				mean[b] += v / float64(tc.m)
			}
		}
		for b, v := range mean {
			se := sigma * sigma * math.Sqrt(2/(plan.modes[b]*float64(tc.m)))
			if math.Abs(v-sigma*sigma) > 4*se {
				t.Errorf("%dD white noise: mean P(%d) = %.4f, want %.4f ± %.4f", tc.dim, b+1, v, sigma*sigma, 4*se)
			}
		}
		st := estimate(t, s, binning(t, s), 0)
		for b, v := range st.PowerSpectrum.Median {
			// The median of σ²·Gamma(k, 1/k) is within 10% of σ² for the
			// k >= 4 independent modes of every bin here.
			if math.Abs(v-sigma*sigma) > 0.1*sigma*sigma+4*sigma*sigma*math.Sqrt(2/(plan.modes[b]*float64(tc.m))) {
				t.Errorf("%dD white noise: median P(%d) = %.4f, want ≈ %.4f", tc.dim, b+1, v, sigma*sigma)
			}
		}
	}
}

// TestSpectrumCosine: ρ = 2 + a cos(2π k0·x/N) has A = a N^d/2 at ±k0 and
// nothing else off the origin, so all power is in bin round(|k0|):
// P = 2 (a N^d/2)² / N^d / (modes in that bin), zero elsewhere.
func TestSpectrumCosine(t *testing.T) {
	const a = 0.75
	for _, tc := range []struct {
		n  int
		k0 []int
	}{{32, []int{3, 4}}, {32, []int{0, 7}}, {16, []int{1, 2, 2}}, {16, []int{5, 0, 0}}} {
		dim := len(tc.k0)
		s := newTestSet(1, tc.n, dim, func(_, j int) float64 {
			x := wave(j, tc.n, dim)
			ph := 0.0
			for ax := range dim {
				ph += float64(tc.k0[ax] * x[ax])
			}
			return 2 + a*math.Cos(2*math.Pi*ph/float64(tc.n))
		})
		p := float64(s.Pixels())
		nu0 := roundNorm(tc.k0)
		modes := 0.0 // full-grid modes with round(|k|) = nu0, counted directly
		for m := range s.Pixels() {
			if roundNorm(wave(m, tc.n, dim)) == nu0 {
				modes++
			}
		}
		for b, v := range imagePower(s, 0) {
			want := 0.0
			if b+1 == nu0 {
				want = 2 * (a * p / 2) * (a * p / 2) / p / modes
			}
			if math.Abs(v-want) > 1e-6*a*a*p/modes {
				t.Errorf("cosine k0=%v: P(%d) = %.9g, want %.9g", tc.k0, b+1, v, want)
			}
		}
	}
}

// TestSpectrumPlanCountsEveryMode: the weights of the half spectrum add up
// to the number of full-grid modes in each bin.
func TestSpectrumPlanCountsEveryMode(t *testing.T) {
	for _, tc := range []struct{ n, dim int }{{8, 2}, {12, 2}, {8, 3}} {
		want := make([]float64, tc.n/2)
		total := 1
		for range tc.dim {
			total *= tc.n
		}
		for m := range total {
			if nu := roundNorm(wave(m, tc.n, tc.dim)); nu >= 1 && nu <= tc.n/2 {
				want[nu-1]++
			}
		}
		got := newSpectrumPlan(tc.n, tc.dim).modes
		for b := range want {
			if got[b] != want[b] {
				t.Errorf("N=%d %dD: bin %d has %g modes, want %g", tc.n, tc.dim, b+1, got[b], want[b])
			}
		}
	}
}

// TestLogFieldSpectrum: ρ = exp(g), g white noise of variance σ², has a
// log field (Eq. 1 for images of linear density) 2g/(b − a) plus a
// constant, of power (2σ/(b − a))² at every ν. A set carrying Eq. 1 values
// has the same log-field spectrum (Eq. 1 is its own log field), and the
// spectrum of its density is unchanged.
func TestLogFieldSpectrum(t *testing.T) {
	const m, n, sigma = 64, 32, 0.8
	r := rand.New(rand.NewPCG(31, 1))
	lin := newTestSet(m, n, 2, func(int, int) float64 { return math.Exp(sigma * r.NormFloat64()) })
	want := math.Pow(2*sigma/(data.Eq1B-data.Eq1A), 2)
	st := estimate(t, lin, binning(t, lin), 0)
	plan := newSpectrumPlan(n, 2)
	for b, v := range st.LogFieldSpectrum.Median {
		if tol := 0.1*want + 4*want*math.Sqrt(2/(plan.modes[b]*m)); math.Abs(v-want) > tol {
			t.Errorf("log-field median P(%d) = %.5g, want %.5g ± %.2g", b+1, v, want, tol)
		}
	}
	eq1 := Set{Data: make([]float32, len(lin.Data)), Count: m, Side: n, Dim: 2, Transform: data.Eq1}
	data.Eq1.Forward(eq1.Data, lin.Data)
	st1 := estimate(t, eq1, binning(t, eq1), 0)
	for b := range st.LogFieldSpectrum.Median {
		for _, c := range []struct {
			name string
			a, b float64
		}{{"log field", st.LogFieldSpectrum.Median[b], st1.LogFieldSpectrum.Median[b]},
			{"density", st.PowerSpectrum.Median[b], st1.PowerSpectrum.Median[b]}} {
			if math.Abs(c.a-c.b) > 1e-5*c.a {
				t.Errorf("%s P(%d): %.7g from linear density, %.7g from Eq. 1 values", c.name, b+1, c.a, c.b)
			}
		}
	}
}

// TestLogFieldSeesStripes: multiplying every image by 1 ± 0.5 in
// alternate columns adds to the log field a pattern whose only modes are
// k = 0 and k = (N/2, 0): its spectrum at ν < N/2 is unchanged, and the
// ν = N/2 bin rises far above the reference. The spectrum of linear density
// moves at every ν.
func TestLogFieldSeesStripes(t *testing.T) {
	const n = 16
	ref := lognormalSet(32, n, 2, 41)
	fake := Set{Data: slices.Clone(ref.Data), Count: ref.Count, Side: n, Dim: 2}
	for j := range fake.Data {
		fake.Data[j] *= float32(1 + 0.5*float64(1-2*(j%2)))
	}
	rep, err := Compare(ref, fake, false, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Distances
	if d.LogFieldQuarter > 1e-5 || d.LogFieldHalf < 1 {
		t.Errorf("stripes: log-field max |ratio − 1| %.3g for ν ≤ N/4, %.3g for ν ≤ N/2; want ≈ 0 and > 1", d.LogFieldQuarter, d.LogFieldHalf)
	}
	if !(d.PowerSpectrum > 0.01) {
		t.Errorf("stripes: linear-density spectrum distance %.3g, want it to move", d.PowerSpectrum)
	}
}

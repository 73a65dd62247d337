// Package sim makes the datasets the program trains on when no simulation
// snapshot is given: a 2D/3D particle-mesh N-body code with ΛCDM initial
// conditions (nbody.go), and Gaussian and lognormal random fields on a
// periodic grid (this file), a stand-in with a known power spectrum.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// pcgStream is the second PCG word for field generation, so that a field
// seeded with s differs from any other stream the program seeds with s.
const pcgStream = 0x67726620_6669656c // "grf fiel"

// GaussianField returns a real Gaussian random field on a periodic n^dim grid
// (dim 2 or 3; row-major, axis 0 slowest) with zero mean and discrete power
// spectrum power(|k|): for the unnormalised DFT δ̂_k = Σ_x δ_x e^{−2πi k·x/n},
// ⟨|δ̂_k|²⟩ = n^dim · power(|k|), where k is the integer wave vector (components
// in (−n/2, n/2], no 2π/n factor) and |k| its Euclidean norm. The pixel
// variance is then the mean of power over all k ≠ 0.
//
// It draws real white noise of unit variance, Fourier transforms it
// (gonum's dsp/fourier, axis by axis), multiplies mode k by sqrt(power(|k|)),
// zeroes k = 0 and transforms back. White noise makes the Hermitian symmetry
// automatic, so the result is real up to round-off and its real part is kept.
// The same seed gives the same field (math/rand/v2 PCG). It panics if dim is
// not 2 or 3, n < 1, or power returns a negative or non-finite value.
// Memory: 16·n^dim bytes of complex work space.
func GaussianField(dim, n int, power func(k float64) float64, seed uint64) []float32 {
	if (dim != 2 && dim != 3) || n < 1 {
		panic(fmt.Sprintf("sim: GaussianField of dim %d, n %d; want dim 2 or 3, n >= 1", dim, n))
	}
	total := 1
	for range dim {
		total *= n
	}
	x := whiteModes(dim, n, seed)

	// sqrt(power) depends only on |k|², an integer up to dim·(n/2)²; evaluate
	// it once per value.
	half := n / 2
	amp := make([]float64, dim*half*half+1)
	for k2 := range amp {
		if k2 == 0 {
			continue
		}
		p := power(math.Sqrt(float64(k2)))
		if p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
			panic(fmt.Sprintf("sim: power(%g) = %g, want finite and >= 0", math.Sqrt(float64(k2)), p))
		}
		amp[k2] = math.Sqrt(p)
	}
	forEachK2(dim, n, func(i, k2 int) { x[i] *= complex(amp[k2], 0) })

	fftN(x, dim, n, true, 0)
	out := make([]float32, total)
	for i, v := range x {
		out[i] = float32(real(v))
	}
	return out
}

// whiteModes returns the Fourier transform (unnormalised, fftN) of real
// white noise of unit variance on an n^dim grid drawn from seed: modes with
// ⟨|w_k|²⟩ = n^dim and the Hermitian symmetry of a real field.
func whiteModes(dim, n int, seed uint64) []complex128 {
	total := 1
	for range dim {
		total *= n
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	x := make([]complex128, total)
	for i := range x {
		x[i] = complex(rng.NormFloat64(), 0)
	}
	fftN(x, dim, n, false, 0)
	return x
}

// forEachK2 calls fn(i, |k|²) for every flat index i of an n^dim Fourier grid.
func forEachK2(dim, n int, fn func(i, k2 int)) {
	i := 0
	if dim == 2 {
		for a := range n {
			ka := freq(a, n)
			for b := range n {
				kb := freq(b, n)
				fn(i, ka*ka+kb*kb)
				i++
			}
		}
		return
	}
	for a := range n {
		ka := freq(a, n)
		for b := range n {
			kb := freq(b, n)
			for c := range n {
				kc := freq(c, n)
				fn(i, ka*ka+kb*kb+kc*kc)
				i++
			}
		}
	}
}

// LognormalDensity returns a positive density field in particles per pixel,
// ρ = meanDensity · exp(δ − sigma²/2), where δ is GaussianField with power
// P(k) = A·k^slope, A chosen so that the pixel variance of δ is exactly
// sigma² in expectation (A = sigma² n^dim / Σ_{k≠0} |k|^slope over all modes).
// Each pixel's δ is then N(0, sigma²), so ⟨ρ⟩ = meanDensity in expectation;
// the grid mean of one realisation scatters around it through the large-scale
// modes. Negative slopes (red spectra, e.g. −2) give cosmic-web-like
// contrast. It panics if sigma < 0 or meanDensity <= 0, and as GaussianField.
func LognormalDensity(dim, n int, slope, sigma, meanDensity float64, seed uint64) []float32 {
	if sigma < 0 || !(meanDensity > 0) || math.IsInf(meanDensity, 0) || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		panic(fmt.Sprintf("sim: LognormalDensity with sigma %g, mean %g; want sigma >= 0 and mean > 0, finite", sigma, meanDensity))
	}
	if (dim != 2 && dim != 3) || n < 1 {
		panic(fmt.Sprintf("sim: LognormalDensity of dim %d, n %d; want dim 2 or 3, n >= 1", dim, n))
	}
	var sum float64
	total := 0
	forEachK2(dim, n, func(_, k2 int) {
		total++
		if k2 > 0 {
			sum += math.Pow(float64(k2), slope/2)
		}
	})
	a := 0.0
	if sum > 0 {
		a = sigma * sigma * float64(total) / sum
	}
	delta := GaussianField(dim, n, func(k float64) float64 { return a * math.Pow(k, slope) }, seed)
	s2 := sigma * sigma / 2
	for i, d := range delta {
		delta[i] = float32(meanDensity * math.Exp(float64(d)-s2))
	}
	return delta
}

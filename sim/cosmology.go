// Background cosmology and the linear matter power spectrum: what the
// initial conditions are drawn from and what the particle-mesh code's
// large scales must follow. Lengths are in Mpc/h, wavenumbers in h/Mpc,
// time in units of 1/H0.

package sim

import (
	"fmt"
	"math"
)

// Cosmology holds the parameters of a ΛCDM model (curvature Ωk = 1 − Ωm −
// ΩΛ; radiation neglected, as it is after z ≈ 100).
type Cosmology struct {
	OmegaM float64 `json:"omega_m" toml:"omega_m"`           // matter density today
	OmegaL float64 `json:"omega_l" toml:"omega_l"`           // cosmological constant
	OmegaB float64 `json:"omega_b" toml:"omega_b"`           // baryons, for the transfer function's shape
	H      float64 `json:"h" toml:"h"`                       // H0 / (100 km/s/Mpc)
	NS     float64 `json:"n_s" toml:"n_s"`                   // primordial spectral index
	Sigma8 float64 `json:"sigma8" toml:"sigma8"`             // rms linear density in spheres (discs in 2D) of 8 Mpc/h at z = 0
	TCMB   float64 `json:"t_cmb_kelvin" toml:"t_cmb_kelvin"` // CMB temperature, for the transfer function
}

// Planck18 is the flat ΛCDM model of the paper (Planck 2018: Ωm 0.31, ΩΛ
// 0.69, h 0.68), with n_s 0.965, σ8 0.81, Ωb 0.049.
func Planck18() Cosmology {
	return Cosmology{OmegaM: 0.31, OmegaL: 0.69, OmegaB: 0.049, H: 0.68, NS: 0.965, Sigma8: 0.81, TCMB: 2.7255}
}

// Check reports parameters outside the range the formulas hold in.
func (c Cosmology) Check() error {
	if !(c.OmegaM > 0 && c.OmegaM <= 2) || !(c.OmegaL >= 0 && c.OmegaL <= 2) || !(c.OmegaB >= 0 && c.OmegaB < c.OmegaM) ||
		!(c.H > 0 && c.H < 2) || !(c.NS > 0 && c.NS < 2) || !(c.Sigma8 > 0 && c.Sigma8 < 10) || !(c.TCMB > 0 && c.TCMB < 10) {
		return fmt.Errorf("cosmology %+v out of range: want 0 < Ωm ≤ 2, 0 ≤ ΩΛ ≤ 2, 0 ≤ Ωb < Ωm, 0 < h < 2, 0 < n_s < 2, 0 < σ8 < 10", c)
	}
	return nil
}

// E is H(a)/H0 = sqrt(Ωm a⁻³ + Ωk a⁻² + ΩΛ).
func (c Cosmology) E(a float64) float64 {
	return math.Sqrt(c.OmegaM/(a*a*a) + (1-c.OmegaM-c.OmegaL)/(a*a) + c.OmegaL)
}

// growthIntegral is ∫₀^a da' / (a' E(a'))³, by Simpson's rule in u = √a'
// (the integrand then vanishes like u⁴ at 0 and is smooth).
func (c Cosmology) growthIntegral(a float64) float64 {
	return simpson(func(u float64) float64 {
		if u == 0 {
			return 0
		}
		x := u * u
		ae := x * c.E(x)
		return 2 * u / (ae * ae * ae)
	}, 0, math.Sqrt(a), 512)
}

// Growth is the linear growth factor D(a), normalised to D(1) = 1: the
// growing solution D ∝ E(a) ∫₀^a da'/(a'E)³ (Heath 1977), exact for matter,
// curvature and Λ.
func (c Cosmology) Growth(a float64) float64 {
	return c.E(a) * c.growthIntegral(a) / (c.E(1) * c.growthIntegral(1))
}

// GrowthRate is f = dln D / dln a = dln E/dln a + 1 / (a² E³ ∫₀^a da'/(a'E)³).
func (c Cosmology) GrowthRate(a float64) float64 {
	e := c.E(a)
	dlnE := (-3*c.OmegaM/(a*a*a) - 2*(1-c.OmegaM-c.OmegaL)/(a*a)) / (2 * e * e)
	return dlnE + 1/(a*a*e*e*e*c.growthIntegral(a))
}

// Transfer is the Eisenstein & Hu (1998) no-wiggle transfer function
// (their Eqs. 26, 28–31) at k in h/Mpc.
func (c Cosmology) Transfer(k float64) float64 {
	h := c.H
	omh2, obh2 := c.OmegaM*h*h, c.OmegaB*h*h
	fb := c.OmegaB / c.OmegaM
	theta := c.TCMB / 2.7
	s := 44.5 * math.Log(9.83/omh2) / math.Sqrt(1+10*math.Pow(obh2, 0.75)) // sound horizon, Mpc
	alpha := 1 - 0.328*math.Log(431*omh2)*fb + 0.38*math.Log(22.3*omh2)*fb*fb
	kmpc := k * h // 1/Mpc
	gamma := omh2 * (alpha + (1-alpha)/(1+math.Pow(0.43*kmpc*s, 4)))
	q := kmpc * theta * theta / gamma
	l0 := math.Log(2*math.E + 1.8*q)
	c0 := 14.2 + 731/(1+62.5*q)
	return l0 / (l0 + c0*q*q)
}

// LinearPower returns the linear matter power spectrum at z = 0 as a
// function of k (h/Mpc): P(k) = A k^n_s T(k)², with A set so that the rms of
// the density in a top hat of radius 8 Mpc/h is σ8. In 3D the top hat is a
// sphere and P is in (Mpc/h)³; in 2D, where the simulation is a flat
// universe of its own, the same shape is normalised on discs,
// σ²(R) = (1/2π) ∫ k P(k) (2 J1(kR)/(kR))² dk, and P is in (Mpc/h)².
func (c Cosmology) LinearPower(dim int) func(k float64) float64 {
	shape := func(k float64) float64 { t := c.Transfer(k); return math.Pow(k, c.NS) * t * t }
	const r = 8.0
	// ∫ over ln k from 1e-5 to 1e3 h/Mpc: the window kills the rest.
	s2 := simpson(func(lnk float64) float64 {
		k := math.Exp(lnk)
		x := k * r
		if dim == 2 {
			w := 2 * math.J1(x) / x
			return k * k * shape(k) * w * w / (2 * math.Pi)
		}
		w := 3 * (math.Sin(x) - x*math.Cos(x)) / (x * x * x)
		return k * k * k * shape(k) * w * w / (2 * math.Pi * math.Pi)
	}, math.Log(1e-5), math.Log(1e3), 4096)
	amp := c.Sigma8 * c.Sigma8 / s2
	return func(k float64) float64 {
		if k <= 0 {
			return 0
		}
		return amp * shape(k)
	}
}

// simpson integrates f over [a, b] with Simpson's rule on n (even) intervals.
func simpson(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}

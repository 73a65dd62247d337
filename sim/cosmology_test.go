package sim

import (
	"math"
	"testing"
)

// In an Einstein–de Sitter universe (Ωm = 1, ΩΛ = 0) D = a and f = 1 exactly.
func TestGrowthEinsteinDeSitter(t *testing.T) {
	c := Planck18()
	c.OmegaM, c.OmegaL = 1, 0
	for _, a := range []float64{0.01, 0.1, 0.5, 1} {
		if d := c.Growth(a); !(math.Abs(d-a) <= 1e-6*a) {
			t.Fatalf("EdS D(%g) = %g, want %g", a, d, a)
		}
		if f := c.GrowthRate(a); !(math.Abs(f-1) <= 1e-6) {
			t.Fatalf("EdS f(%g) = %g, want 1", a, f)
		}
	}
}

// For Planck 2018: f(1) ≈ Ωm(1)^0.55 = 0.31^0.55 = 0.525 (Linder 2005, good
// to ~0.5%); at early times D ∝ a, so D(0.01)/0.01 equals D(0.02)/0.02 to
// 0.1%; and the growth rate is the numerical log derivative of D.
func TestGrowthPlanck(t *testing.T) {
	c := Planck18()
	if f := c.GrowthRate(1); !(math.Abs(f-math.Pow(0.31, 0.55)) <= 0.005) {
		t.Fatalf("f(1) = %g, want ≈ %g", f, math.Pow(0.31, 0.55))
	}
	if r := (c.Growth(0.01) / 0.01) / (c.Growth(0.02) / 0.02); !(math.Abs(r-1) <= 1e-3) {
		t.Fatalf("D/a at a = 0.01 and 0.02 differ by %g", r-1)
	}
	for _, a := range []float64{0.05, 0.3, 0.8} {
		h := 1e-4
		num := (math.Log(c.Growth(a*(1+h))) - math.Log(c.Growth(a*(1-h)))) / (math.Log(1+h) - math.Log(1-h))
		if !(math.Abs(num-c.GrowthRate(a)) <= 1e-5) {
			t.Fatalf("f(%g) = %g, numerical dlnD/dlna %g", a, c.GrowthRate(a), num)
		}
	}
}

// The EH98 no-wiggle transfer function tends to 1 at small k and falls as
// ln k / k² at large k; the σ8 normalisation reproduces σ8 when integrated
// again on a different grid.
func TestLinearPower(t *testing.T) {
	c := Planck18()
	if tr := c.Transfer(1e-5); math.Abs(tr-1) > 1e-3 {
		t.Fatalf("T(1e-5) = %g, want 1", tr)
	}
	// Published value for these parameters: T(k=0.1 h/Mpc) ≈ 0.2 (EH98 fig. 2 scale).
	if tr := c.Transfer(0.1); tr < 0.1 || tr > 0.3 {
		t.Fatalf("T(0.1) = %g, want ≈ 0.2", tr)
	}
	p := c.LinearPower(3)
	var s2 float64
	dk := 1e-4
	for k := dk / 2; k < 20; k += dk {
		x := 8 * k
		w := 3 * (math.Sin(x) - x*math.Cos(x)) / (x * x * x)
		s2 += k * k * p(k) * w * w * dk / (2 * math.Pi * math.Pi)
	}
	if math.Abs(math.Sqrt(s2)-0.81) > 0.002 {
		t.Fatalf("σ8 from P by a plain sum: %g, want 0.81", math.Sqrt(s2))
	}
	// P(k) peaks near k ≈ 0.02 h/Mpc for Ωm h ≈ 0.21 (k_eq ≈ 0.073 Ωm h² Mpc⁻¹).
	best, kbest := 0.0, 0.0
	for k := 1e-3; k < 1; k *= 1.01 {
		if p(k) > best {
			best, kbest = p(k), k
		}
	}
	if kbest < 0.01 || kbest > 0.03 {
		t.Fatalf("P(k) peaks at %g h/Mpc, want ≈ 0.02", kbest)
	}
}

package sim

import (
	"math"
	"testing"

	"github.com/cosmogan/cosmogan/data"
)

// contrast deposits the particles with CIC on an n^dim mesh and returns δ.
func contrast(s *Simulation, n int) []float64 {
	g := make([]float64, pow(n, s.Cfg.Dim))
	data.Deposit(g, data.Mesh{Dim: s.Cfg.Dim, N: n, Box: s.Cfg.Box}, data.CIC, s.Pos, 1)
	mean := float64(len(s.Pos)/s.Cfg.Dim) / float64(len(g))
	for i := range g {
		g[i] = g[i]/mean - 1
	}
	return g
}

func lattice(cfg Config) (pos, mom []float64) {
	d, n := cfg.Dim, cfg.Particles
	h := cfg.Box / float64(n)
	pos, mom = make([]float64, d*pow(n, d)), make([]float64, d*pow(n, d))
	for i := range pow(n, d) {
		for a := range d {
			pos[i*d+a] = (float64(i/pow(n, d-1-a)%n) + 0.5) * h
		}
	}
	return pos, mom
}

// TestUniformLatticeStaysPut: with no perturbation the density is uniform,
// the force zero, and nothing moves.
func TestUniformLatticeStaysPut(t *testing.T) {
	for _, c := range []struct{ dim, np, mesh int }{{2, 16, 16}, {2, 16, 32}, {3, 8, 16}} {
		cfg := Config{Dim: c.dim, Particles: c.np, Mesh: c.mesh, Box: 50, ZStart: 20, Steps: 5, Cosmology: Planck18()}
		pos, mom := lattice(cfg)
		start := append([]float64(nil), pos...)
		s := newSimulation(cfg, 1/(1+cfg.ZStart), pos, mom, 2)
		s.Run()
		for i := range start {
			if math.Abs(s.Pos[i]-start[i]) > 1e-9 || math.Abs(s.Mom[i]) > 1e-9 {
				t.Fatalf("%+v: coordinate %d moved from %v to %v (momentum %v)", c, i, start[i], s.Pos[i], s.Mom[i])
			}
		}
	}
}

// TestMomentumConserved: PM forces are pairwise antisymmetric, so Σp stays
// at its initial ~0 to round-off while individual momenta grow.
func TestMomentumConserved(t *testing.T) {
	for _, dim := range []int{2, 3} {
		cfg := Config{Dim: dim, Particles: 16, Mesh: 32, Box: 30, ZStart: 9, ZEnd: 0, Steps: 10, Cosmology: Planck18()}
		s, err := New(cfg, 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		s.Run()
		total := make([]float64, dim)
		var abs float64
		for i, p := range s.Mom {
			total[i%dim] += p
			abs += math.Abs(p)
		}
		for a, v := range total {
			if math.Abs(v) > 1e-10*abs {
				t.Fatalf("%dD: Σp[%d] = %g, Σ|p| = %g", dim, a, v, abs)
			}
		}
	}
}

// TestInitialSpectrum: the density of the initial particles matches D(a)²
// P(k) within cosmic variance. Measured two ways: from the displacements
// x − q (δ = −∇·Ψ, exact on the lattice) at every k below the Nyquist
// frequency, and from the CIC-deposited particles (window deconvolved) on
// the largest scales.
func TestInitialSpectrum(t *testing.T) {
	cfg := Config{Dim: 3, Particles: 32, Mesh: 32, Box: 200, ZStart: 49, Steps: 1, Cosmology: Planck18()}
	for _, dim := range []int{3, 2} {
		cfg.Dim = dim
		if dim == 2 {
			cfg.Particles = 128
		}
		s, err := New(cfg, 11, 2)
		if err != nil {
			t.Fatal(err)
		}
		n, d := cfg.Particles, dim
		p := cfg.Cosmology.LinearPower(d)
		g := cfg.Cosmology.Growth(s.A)
		kf := 2 * math.Pi / cfg.Box
		expect := func(shell float64) float64 {
			return math.Pow(float64(n), 2*float64(d)) * g * g * p(shell*kf) / math.Pow(cfg.Box, float64(d))
		}
		div := divergence(s)
		chi := shellChi(t, div, d, n, expect, n/2-1)
		// CIC deposit with its window Π sinc²(k_a h/2) deconvolved, k ≤ k_Nyq/4.
		rho := contrast(s, n)
		x := make([]complex128, len(rho))
		for i, v := range rho {
			x[i] = complex(v, 0)
		}
		fftN(x, d, n, false, 0)
		for i := range x {
			w := 1.0
			for a := range d {
				u := math.Pi * float64(freq(i/pow(n, d-1-a)%n, n)) / float64(n)
				if u != 0 {
					w *= math.Pow(math.Sin(u)/u, 2)
				}
			}
			x[i] /= complex(w, 0)
		}
		shellChi(t, x, d, n, expect, n/8)
		t.Logf("%dD: displacement spectrum χ²/dof %.2f", d, chi)
	}
}

// divergence returns the DFT of δ = −∇·Ψ on the particle lattice, with Ψ =
// x − q the displacement of each particle from its lattice site (taken
// periodically) and the gradient spectral: the linear density without any
// mass-assignment window or aliasing.
func divergence(s *Simulation) []complex128 {
	cfg := s.Cfg
	n, d := cfg.Particles, cfg.Dim
	kf := 2 * math.Pi / cfg.Box
	q, _ := lattice(cfg)
	div := make([]complex128, pow(n, d))
	for a := range d {
		comp := make([]complex128, len(div))
		for i := range comp {
			dx := s.Pos[i*d+a] - q[i*d+a]
			dx -= cfg.Box * math.Round(dx/cfg.Box)
			comp[i] = complex(dx, 0)
		}
		fftN(comp, d, n, false, 0)
		stride := pow(n, d-1-a)
		for i := range comp {
			ka := float64(freq(i/stride%n, n)) * kf
			div[i] -= complex(0, ka) * comp[i]
		}
	}
	return div
}

// shellPower is the mean |x_k|² over the modes of each integer shell.
func shellPower(x []complex128, dim, n int) (power []float64, modes []int) {
	shells := int(math.Sqrt(float64(dim))*float64(n)/2) + 2
	power, modes = make([]float64, shells), make([]int, shells)
	forEachK2(dim, n, func(i, k2 int) {
		s := int(math.Round(math.Sqrt(float64(k2))))
		power[s] += real(x[i])*real(x[i]) + imag(x[i])*imag(x[i])
		modes[s]++
	})
	for s := range power {
		if modes[s] > 0 {
			power[s] /= float64(modes[s])
		}
	}
	return power, modes
}

// shellChi compares shell means of |x_k|² with expect(shell) for shells
// 1..maxShell: each mean of M independent modes (M = half the modes of a
// real field) has relative scatter 1/√M; every shell must be within 4.5σ and
// the reduced χ² within 3σ of 1. Returns the reduced χ².
func shellChi(t *testing.T, x []complex128, dim, n int, expect func(float64) float64, maxShell int) float64 {
	t.Helper()
	sum := make([]float64, maxShell+1)
	ks := make([]float64, maxShell+1)
	cnt := make([]int, maxShell+1)
	forEachK2(dim, n, func(i, k2 int) {
		k := math.Sqrt(float64(k2))
		sh := int(math.Round(k))
		if sh < 1 || sh > maxShell {
			return
		}
		sum[sh] += (real(x[i])*real(x[i]) + imag(x[i])*imag(x[i])) / expect(k)
		ks[sh] += k
		cnt[sh]++
	})
	var chi2 float64
	dof := 0
	for sh := 1; sh <= maxShell; sh++ {
		if cnt[sh] == 0 {
			continue
		}
		ratio := sum[sh] / float64(cnt[sh])
		sigma := 1 / math.Sqrt(float64(cnt[sh])/2)
		z := (ratio - 1) / sigma
		if math.Abs(z) > 4.5 {
			t.Fatalf("%dD shell %d (%d modes): measured/expected %.3f, %.1fσ off", dim, sh, cnt[sh], ratio, z)
		}
		chi2 += z * z
		dof++
	}
	if red := chi2 / float64(dof); math.Abs(red-1) > 3*math.Sqrt(2/float64(dof)) {
		t.Fatalf("%dD: χ²/dof = %.2f over %d shells", dim, red, dof)
	}
	return chi2 / float64(dof)
}

// TestLinearGrowth: in a box large enough to stay linear on its largest
// scales, the spectrum of the first shells grows as D(a)² between the initial
// conditions and a = 0.5 (same realization, so cosmic variance cancels).
func TestLinearGrowth(t *testing.T) {
	for _, dim := range []int{3, 2} {
		cfg := Config{Dim: dim, Particles: 32, Mesh: 64, Box: 1000, ZStart: 49, ZEnd: 1, Steps: 48, Cosmology: Planck18()}
		if dim == 2 {
			cfg.Particles, cfg.Mesh = 128, 256
		}
		s, err := New(cfg, 5, 2)
		if err != nil {
			t.Fatal(err)
		}
		a0 := s.A
		p0, modes := shellPower(divergence(s), dim, cfg.Particles)
		s.Run()
		p1, _ := shellPower(divergence(s), dim, cfg.Particles)
		c := cfg.Cosmology
		want := math.Pow(c.Growth(s.A)/c.Growth(a0), 2)
		for sh := 1; sh <= 3; sh++ {
			got := p1[sh] / p0[sh]
			t.Logf("%dD shell %d (%d modes): P(a=%.2f)/P(a=%.3f) = %.1f, (D/D0)² = %.1f, ratio %.4f", dim, sh, modes[sh], s.A, a0, got, want, got/want)
			if !(math.Abs(got/want-1) <= 0.03) {
				t.Fatalf("%dD shell %d: growth %.2f, want (D/D0)² = %.2f", dim, sh, got, want)
			}
		}
	}
}

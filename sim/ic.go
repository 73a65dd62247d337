package sim

import (
	"math"

	"github.com/cosmogan/cosmogan/data"
)

// zeldovich places Particles^Dim particles at the centres of a lattice of
// cells (q = (i + ½)·Box/Particles per axis) and displaces them by the
// Zel'dovich approximation at scale factor a: x = q + D(a) Ψ(q), p = a² D f E
// Ψ(q), with Ψ = −∇∇⁻²δ₀ the displacement field of the linear density δ₀ at
// z = 0, a Gaussian random field with Cosmology.LinearPower(Dim). On the
// lattice's FFT, δ̂₀(k) = w_k sqrt(n^dim P(|k|) / Box^dim) for white-noise
// modes w_k (whiteModes), which gives ⟨|δ̂₀|²⟩ = n^{2 dim} P / Box^dim, the
// discrete transform of a field of power P; Ψ̂ = i k δ̂₀ / k², with the
// Nyquist component of each axis zeroed so that Ψ is real.
func zeldovich(cfg Config, a float64, seed uint64, threads int) (pos, mom []float64) {
	d, n, box := cfg.Dim, cfg.Particles, cfg.Box
	c := cfg.Cosmology
	power := c.LinearPower(d)
	delta := whiteModes(d, n, seed)
	kf := 2 * math.Pi / box
	norm := float64(pow(n, d)) / math.Pow(box, float64(d))
	forEachK2(d, n, func(i, k2 int) {
		if k2 == 0 {
			delta[i] = 0
			return
		}
		delta[i] *= complex(math.Sqrt(norm*power(math.Sqrt(float64(k2))*kf)), 0)
	})
	total := pow(n, d)
	pos, mom = make([]float64, d*total), make([]float64, d*total)
	gD, vel := c.Growth(a), a*a*c.Growth(a)*c.GrowthRate(a)*c.E(a)
	h := box / float64(n)
	psi := make([]complex128, total)
	for axis := range d {
		stride := pow(n, d-1-axis)
		data.ParallelFor(threads, total, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				ki := i / stride % n
				k2 := 0
				for b := range d {
					f := freq(i/pow(n, d-1-b)%n, n)
					k2 += f * f
				}
				if k2 == 0 || 2*ki == n {
					psi[i] = 0
					continue
				}
				ka := float64(freq(ki, n)) * kf
				psi[i] = delta[i] * complex(0, ka/(float64(k2)*kf*kf))
			}
		})
		fftN(psi, d, n, true, threads)
		for i, v := range psi {
			q := (float64(i/stride%n) + 0.5) * h
			pos[i*d+axis] = wrapBox(q+gD*real(v), box)
			mom[i*d+axis] = vel * real(v)
		}
	}
	return pos, mom
}

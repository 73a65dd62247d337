// The particle-mesh N-body code (§2.1): particles in a periodic box, the
// gravitational potential solved on a mesh by FFT, kick-drift-kick leapfrog
// in the scale factor. The 2D mode stands in for the 2D PM code the paper
// made its 1000 maps with; the 3D mode makes a small 3D dataset.
//
// Variables (FastPM's): comoving position x in Mpc/h, momentum p = a² dx/dt
// in units of H0 = 1, so that
//
//	dx/da = p / (a³ E(a)),   dp/da = −∇ψ / (a² E(a)),   ∇²ψ = (3/2) Ωm δ,
//
// with δ the density contrast on the mesh. The same form in 2D gives the
// same linear growth D(a) (the growth equation does not depend on the
// dimension), which the tests check.

package sim

import (
	"context"
	"fmt"
	"math"

	"github.com/cosmogan/cosmogan/data"
)

// Config sets up a simulation.
type Config struct {
	Dim       int       `json:"dim"`                // 2 or 3
	Particles int       `json:"particles_per_axis"` // particles on a lattice of Particles^Dim
	Mesh      int       `json:"mesh_per_axis"`      // PM mesh cells per axis
	Box       float64   `json:"box_mpc_h"`          // box side, Mpc/h
	ZStart    float64   `json:"z_start"`            // redshift of the initial conditions
	ZEnd      float64   `json:"z_end"`              // redshift the run stops at
	Steps     int       `json:"steps"`              // leapfrog steps, uniform in a
	Cosmology Cosmology `json:"cosmology"`
}

// Default2D is the 2D setting of `cosmogan simulate` and of the default run:
// 256² particles in (100 Mpc/h)², one per pixel of a 256² map, on a 512² mesh,
// from z = 49 to 0 in 40 steps. The paper (§2.1) has 512² particles, four per
// pixel of its 256² maps: configs/paper-2d.toml runs them on a 1024² mesh, in
// about five times the time (a 512² mesh would lower the spectrum of ln ρ of
// the maps by 12% at ν = 64 and 21% at ν = 128).
func Default2D() Config {
	return Config{Dim: 2, Particles: 256, Mesh: 512, Box: 100, ZStart: 49, ZEnd: 0, Steps: 40, Cosmology: Planck18()}
}

// Check reports a configuration the code cannot run, wrapping
// data.ErrBadInput.
func (c Config) Check() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("simulation: "+f+": %w", append(a, data.ErrBadInput)...)
	}
	switch {
	case c.Dim != 2 && c.Dim != 3:
		return bad("dim %d, want 2 or 3", c.Dim)
	case c.Particles < 2 || c.Mesh < 2:
		return bad("%d particles and %d mesh cells per axis, want at least 2 each", c.Particles, c.Mesh)
	case !(c.Box > 0) || math.IsInf(c.Box, 0):
		return bad("box %g Mpc/h, want positive and finite", c.Box)
	case !(c.ZStart > c.ZEnd) || !(c.ZEnd >= 0) || math.IsInf(c.ZStart, 0):
		return bad("z_start %g and z_end %g, want z_start > z_end >= 0", c.ZStart, c.ZEnd)
	case c.Steps < 1:
		return bad("%d steps, want at least 1", c.Steps)
	}
	if err := c.Cosmology.Check(); err != nil {
		return bad("%v", err)
	}
	return nil
}

// Simulation is the state of a run: particle positions (wrapped into
// [0, Box)) and momenta, Dim values per particle, at scale factor A.
type Simulation struct {
	Cfg      Config
	A        float64
	Pos, Mom []float64
	threads  int
	pm       *pm
	acc      []float64 // −∇ψ at the particles, for positions at scale factor accA
	accA     float64
}

// New draws Zel'dovich initial conditions at ZStart from seed (see
// zeldovich). The same seed and configuration give the same particles bit for
// bit for any thread count.
func New(cfg Config, seed uint64, threads int) (*Simulation, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	a := 1 / (1 + cfg.ZStart)
	pos, mom := zeldovich(cfg, a, seed, threads)
	return newSimulation(cfg, a, pos, mom, threads), nil
}

func newSimulation(cfg Config, a float64, pos, mom []float64, threads int) *Simulation {
	s := &Simulation{Cfg: cfg, A: a, Pos: pos, Mom: mom, threads: threads, accA: -1}
	s.pm = newPM(data.Mesh{Dim: cfg.Dim, N: cfg.Mesh, Box: cfg.Box}, len(pos)/cfg.Dim, threads)
	s.acc = make([]float64, len(pos))
	return s
}

// Run advances to ZEnd in Steps leapfrog steps uniform in ln a.
func (s *Simulation) Run() { s.RunContext(context.Background()) }

// RunContext is Run, stopped between two steps when ctx is done: it then
// returns ctx's error with the simulation at the step it reached.
func (s *Simulation) RunContext(ctx context.Context) error {
	a0, a1 := 1/(1+s.Cfg.ZStart), 1/(1+s.Cfg.ZEnd)
	for i := 1; i <= s.Cfg.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Step(a0 * math.Pow(a1/a0, float64(i)/float64(s.Cfg.Steps)))
	}
	return nil
}

// Step advances from A to a1 by kick-drift-kick: half a kick with the force
// at A, a drift over [A, a1], half a kick with the force at a1. The force
// is constant over each half kick, so the kick factor is ∫ da / (a² E).
func (s *Simulation) Step(a1 float64) {
	c := s.Cfg.Cosmology
	a0 := s.A
	ah := (a0 + a1) / 2
	if s.accA != a0 {
		s.pm.accel(s.acc, s.Pos, c.OmegaM)
		s.accA = a0
	}
	kick := func(lo, hi float64) {
		k := simpson(func(a float64) float64 { return 1 / (a * a * c.E(a)) }, lo, hi, 16)
		data.ParallelFor(s.threads, len(s.Mom), func(_, i0, i1 int) {
			for i := i0; i < i1; i++ {
				s.Mom[i] += k * s.acc[i]
			}
		})
	}
	kick(a0, ah)
	drift := simpson(func(a float64) float64 { return 1 / (a * a * a * c.E(a)) }, a0, a1, 16)
	box := s.Cfg.Box
	data.ParallelFor(s.threads, len(s.Pos), func(_, i0, i1 int) {
		for i := i0; i < i1; i++ {
			s.Pos[i] = wrapBox(s.Pos[i]+drift*s.Mom[i], box)
		}
	})
	s.pm.accel(s.acc, s.Pos, c.OmegaM)
	s.accA = a1
	kick(ah, a1)
	s.A = a1
}

// Density assigns the particles to a grid^Dim field in particles per pixel
// with scheme (NGP, CIC, or DTFE in 2D). Its mean is Particles^Dim/grid^Dim
// (only roughly for DTFE, which samples the density at pixel centres: within
// 1–2% on 256² maps of 256² or 512² particles).
func (s *Simulation) Density(scheme data.Scheme, grid int) ([]float32, error) {
	return data.Assign(data.Mesh{Dim: s.Cfg.Dim, N: grid, Box: s.Cfg.Box}, scheme, s.Pos, s.threads)
}

// wrapBox maps x into [0, box) periodically.
func wrapBox(x, box float64) float64 {
	x -= box * math.Floor(x/box)
	if x >= box { // x just below 0 rounds up to box
		x = 0
	}
	return x
}

func pow(n, d int) int {
	p := 1
	for range d {
		p *= n
	}
	return p
}

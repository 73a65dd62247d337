package sim

import "math"

// MemoryBytes is what a running simulation of c holds, in bytes, in its
// particles' buffers (per particle its float64 position, momentum and
// acceleration, Dim values each, and the force interpolated at it) and in its
// mesh's (per cell the density, the complex work array of the Poisson solve
// and one gradient component). They are float64 so that absurd sizes do not
// overflow into small ones: what a caller compares with the machine's memory
// before starting.
func (c Config) MemoryBytes() (particles, mesh float64) {
	d := float64(c.Dim)
	return math.Pow(float64(c.Particles), d) * (24*d + 8), math.Pow(float64(c.Mesh), d) * (8 + 16 + 8)
}

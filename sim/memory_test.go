package sim

import "testing"

// TestMemoryBytesCountsTheSimulationsBuffers checks MemoryBytes against the
// buffers a simulation really allocates.
func TestMemoryBytesCountsTheSimulationsBuffers(t *testing.T) {
	for _, cfg := range []Config{
		{Dim: 2, Particles: 16, Mesh: 32, Box: 10, ZStart: 9, ZEnd: 0, Steps: 1, Cosmology: Planck18()},
		{Dim: 3, Particles: 8, Mesh: 16, Box: 10, ZStart: 9, ZEnd: 0, Steps: 1, Cosmology: Planck18()},
	} {
		s, err := New(cfg, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		held := 8*(len(s.Pos)+len(s.Mom)+len(s.acc)+len(s.pm.out)+len(s.pm.rho)+len(s.pm.grad)) + 16*len(s.pm.work)
		if p, m := cfg.MemoryBytes(); p+m != float64(held) {
			t.Errorf("%dD: MemoryBytes %g + %g, the simulation holds %d bytes in its buffers", cfg.Dim, p, m, held)
		}
	}
}

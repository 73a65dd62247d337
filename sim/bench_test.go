package sim

import (
	"fmt"
	"testing"
)

// BenchmarkStep times one PM leapfrog step (one force evaluation) at several
// sizes, mesh = 2 × particles per axis.
func BenchmarkStep(b *testing.B) {
	for _, c := range []struct{ dim, np int }{{2, 128}, {2, 256}, {3, 32}, {3, 64}} {
		b.Run(fmt.Sprintf("%dD-%d-mesh%d", c.dim, c.np, 2*c.np), func(b *testing.B) {
			cfg := Config{Dim: c.dim, Particles: c.np, Mesh: 2 * c.np, Box: 100, ZStart: 49, Steps: 40, Cosmology: Planck18()}
			s, err := New(cfg, 1, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				s.Step(s.A * 1.05)
			}
		})
	}
}

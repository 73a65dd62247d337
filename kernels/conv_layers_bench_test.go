package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkConvLayers times, on the paper's 3D layer shapes (batch 4), each
// convolution operation lowered through Im2col/Col2im, and the forward pass
// as implicit GEMM (Conv).
// cin → cout is the Conv direction: image side cin channels.
func BenchmarkConvLayers(b *testing.B) {
	team := NewTeam(2)
	defer team.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 4
	for _, l := range []struct{ cin, cout, n int }{{1, 32, 64}, {32, 64, 32}, {64, 128, 16}, {128, 256, 8}} {
		s := NewConvShape(3, l.cin, l.n, 4, 2, 1)
		p := s.ColVolume()
		x := randNormals(rng, batch*s.C*s.ImageVolume())
		y := randNormals(rng, batch*l.cout*p)
		w := randNormals(rng, l.cout*s.Rows())
		dw := make([]float32, len(w))
		cols := make([]float32, s.Rows()*batch*p)
		cm := make([]float32, l.cout*batch*p)
		name := fmt.Sprintf("%d→%d", l.cin, l.cout)
		b.Run(name+"/fwd/lowered", func(b *testing.B) {
			for range b.N {
				Im2col(team, &s, batch, x, cols)
				Sgemm(team, false, false, l.cout, batch*p, s.Rows(), 1, w, s.Rows(), cols, batch*p, 0, cm, batch*p)
				FromChannelMajor(team, batch, l.cout, p, cm, nil, y)
			}
		})
		b.Run(name+"/fwd/implicit", func(b *testing.B) {
			for range b.N {
				Conv(team, &s, batch, l.cout, w, x, nil, y, &cm)
			}
		})
		b.Run(name+"/wgrad/lowered", func(b *testing.B) {
			for range b.N {
				ToChannelMajor(team, batch, l.cout, p, y, cm)
				Im2col(team, &s, batch, x, cols)
				Sgemm(team, false, true, l.cout, s.Rows(), batch*p, 1, cm, batch*p, cols, batch*p, 1, dw, s.Rows())
			}
		})
		b.Run(name+"/adjoint/lowered", func(b *testing.B) {
			for range b.N {
				ToChannelMajor(team, batch, l.cout, p, y, cm)
				Sgemm(team, true, false, s.Rows(), batch*p, l.cout, 1, w, s.Rows(), cm, batch*p, 0, cols, batch*p)
				Col2im(team, &s, batch, cols, x)
			}
		})
	}
}

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randNormals(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// convShapes covers 2D and 3D, stride 1 and 2, paddings that clip and odd
// sizes, including the layer shapes of Tables A.1/A.2 at small sizes.
var convShapes = []struct{ dim, c, n, k, s, p int }{
	{2, 1, 8, 5, 2, 2}, {2, 3, 7, 3, 1, 1}, {2, 2, 9, 5, 2, 2}, {2, 4, 6, 4, 2, 1},
	{3, 1, 8, 4, 2, 1}, {3, 2, 5, 3, 1, 1}, {3, 3, 7, 4, 2, 1}, {3, 2, 6, 5, 2, 2},
}

// TestLoweredConvMatchesDirect checks y = W·im2col(x) against the direct
// convolution, in float32 rounding (relative 1e-5 of the sum of |terms|).
func TestLoweredConvMatchesDirect(t *testing.T) {
	team := NewTeam(3)
	defer team.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range convShapes {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			s := NewConvShape(tc.dim, tc.c, tc.n, tc.k, tc.s, tc.p)
			batch, cout := 3, 5
			x := randNormals(rng, batch*s.C*s.ImageVolume())
			w := randNormals(rng, cout*s.Rows())
			want := make([]float32, batch*cout*s.ColVolume())
			ConvRef(&s, batch, cout, x, w, want)

			cols := make([]float32, s.Rows()*batch*s.ColVolume())
			Im2col(team, &s, batch, x, cols)
			yT := make([]float32, cout*batch*s.ColVolume())
			Sgemm(team, false, false, cout, batch*s.ColVolume(), s.Rows(), 1, w, s.Rows(), cols, batch*s.ColVolume(), 0, yT, batch*s.ColVolume())
			got := make([]float32, len(want))
			FromChannelMajor(team, batch, cout, s.ColVolume(), yT, nil, got)
			tol := 1e-5 * float64(s.Rows()) * 3
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > tol {
					t.Fatalf("y[%d] = %g, direct convolution gives %g (tolerance %g)", i, got[i], want[i], tol)
				}
			}
		})
	}
}

// TestCol2imIsAdjointOfIm2col checks ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, which is
// what makes the backward passes built on Col2im exact.
func TestCol2imIsAdjointOfIm2col(t *testing.T) {
	team := NewTeam(2)
	defer team.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range convShapes {
		s := NewConvShape(tc.dim, tc.c, tc.n, tc.k, tc.s, tc.p)
		batch := 2
		x := randNormals(rng, batch*s.C*s.ImageVolume())
		c := randNormals(rng, s.Rows()*batch*s.ColVolume())
		cols := make([]float32, len(c))
		Im2col(team, &s, batch, x, cols)
		back := make([]float32, len(x))
		Col2im(team, &s, batch, c, back)
		var lhs, rhs float64
		for i := range c {
			lhs += float64(cols[i]) * float64(c[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(back[i])
		}
		if math.Abs(lhs-rhs) > 1e-4*(math.Abs(lhs)+1) {
			t.Errorf("%v: <im2col x, c> = %g but <x, col2im c> = %g", tc, lhs, rhs)
		}
	}
}

func TestChannelMajorRoundTrip(t *testing.T) {
	team := NewTeam(2)
	defer team.Close()
	batch, c, p := 3, 4, 5
	x := make([]float32, batch*c*p)
	for i := range x {
		x[i] = float32(i)
	}
	cm := make([]float32, len(x))
	ToChannelMajor(team, batch, c, p, x, cm)
	// element (b=1, c=2, p=3) sits at channel 2, column 1·p + 3
	if got, want := cm[2*batch*p+1*p+3], x[(1*c+2)*p+3]; got != want {
		t.Fatalf("channel-major element = %g, want %g", got, want)
	}
	bias := []float32{10, 20, 30, 40}
	back := make([]float32, len(x))
	FromChannelMajor(team, batch, c, p, cm, bias, back)
	for i := range x {
		if back[i] != x[i]+bias[i/p%c] {
			t.Fatalf("round trip element %d = %g, want %g", i, back[i], x[i]+bias[i/p%c])
		}
	}
}

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// implicitShapes adds to convShapes strides 3,
// partial tiles, a shape large enough for parallel GEMMs and several k
// blocks, and column grids whose rows are multiples of NR.
var implicitShapes = append(slices.Clone(convShapes), []struct{ dim, c, n, k, s, p int }{
	{2, 3, 11, 2, 3, 0}, {3, 2, 7, 3, 3, 1}, {2, 5, 13, 4, 2, 1}, {2, 2, 16, 5, 2, 2},
	{3, 9, 12, 4, 2, 1},
	// Column rows a multiple of NR wide (gatherRows): stride 1 and 2, groups
	// in the padding, straddling its edge and inside.
	{2, 3, 32, 4, 2, 1}, {2, 2, 16, 3, 1, 1}, {2, 2, 64, 5, 2, 2}, {3, 2, 32, 4, 2, 1}, {3, 1, 16, 3, 1, 1},
}...)

// TestConvKernelsMatchDirect checks Conv (the implicit-GEMM convolution)
// against the direct loop, within float32
// rounding (relative 1e-5 of the number of summed terms), and that 1, 2 and 3
// workers give identical bits. Sizes are odd and tiles partial.
func TestConvKernelsMatchDirect(t *testing.T) {
	teams := []*Team{NewTeam(1), NewTeam(2), NewTeam(3)}
	for _, team := range teams {
		defer team.Close()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range implicitShapes {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			s := NewConvShape(tc.dim, tc.c, tc.n, tc.k, tc.s, tc.p)
			batch, cout := 3, 17 // 17 output channels: partial GEMM tiles
			x := randNormals(rng, batch*s.C*s.ImageVolume())
			y := randNormals(rng, batch*cout*s.ColVolume())
			w := randNormals(rng, cout*s.Rows())
			yb := randNormals(rng, cout)
			terms := float64(s.Rows())
			cases := []struct {
				name      string
				ref, fast func(team *Team, out []float32)
				out       int
			}{
				{"Conv", func(_ *Team, out []float32) { ConvRef(&s, batch, cout, x, w, out); addBias(out, yb, s.ColVolume()) },
					func(team *Team, out []float32) { Conv(team, &s, batch, cout, w, x, yb, out, new([]float32)) }, len(y)},
			}
			for _, c := range cases {
				want := make([]float32, c.out)
				c.ref(nil, want)
				var first []float32
				for ti, team := range teams {
					got := make([]float32, c.out)
					for i := range got {
						got[i] = float32(math.NaN()) // every output must be written
					}
					c.fast(team, got)
					tol := 1e-5 * terms
					for i := range want {
						if d := math.Abs(float64(got[i] - want[i])); !(d <= tol) {
							t.Fatalf("%s with %d workers: [%d] = %g, direct loop gives %g (tolerance %g)", c.name, team.Threads(), i, got[i], want[i], tol)
						}
					}
					if ti == 0 {
						first = got
					} else if !slices.Equal(math32bits(got), math32bits(first)) {
						t.Fatalf("%s: %d workers differ from 1 worker in the last bits", c.name, team.Threads())
					}
				}
			}
		})
	}
}

// addBias adds bias[c] to every value of channel c of a (batch, c, vol) array.
func addBias(x, bias []float32, vol int) {
	for i := range x {
		x[i] += bias[i/vol%len(bias)]
	}
}

func math32bits(x []float32) []uint32 {
	u := make([]uint32, len(x))
	for i, v := range x {
		u[i] = math.Float32bits(v)
	}
	return u
}

// TestConvEqualsLoweredBitwise checks that Conv gives the very bits of the
// lowered forward pass (Im2col, Sgemm, FromChannelMajor) on shapes where the
// layers switch between them (ConvImplicitPays), so the switch does not
// change training results.
func TestConvEqualsLoweredBitwise(t *testing.T) {
	team := NewTeam(2)
	defer team.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range implicitShapes {
		s := NewConvShape(tc.dim, tc.c, tc.n, tc.k, tc.s, tc.p)
		batch, cout := 2, 33
		p := s.ColVolume()
		x := randNormals(rng, batch*s.C*s.ImageVolume())
		w := randNormals(rng, cout*s.Rows())
		bias := randNormals(rng, cout)
		cols := make([]float32, s.Rows()*batch*p)
		cm := make([]float32, cout*batch*p)
		want := make([]float32, batch*cout*p)
		Im2col(team, &s, batch, x, cols)
		Sgemm(team, false, false, cout, batch*p, s.Rows(), 1, w, s.Rows(), cols, batch*p, 0, cm, batch*p)
		FromChannelMajor(team, batch, cout, p, cm, bias, want)
		got := make([]float32, len(want))
		Conv(team, &s, batch, cout, w, x, bias, got, new([]float32))
		if !slices.Equal(math32bits(got), math32bits(want)) {
			t.Errorf("%v: Conv differs from the lowered pass in the last bits", tc)
		}
	}
}

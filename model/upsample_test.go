package model

import (
	"slices"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
)

// TestUpsampleRepeatsEachValueOverItsBlock checks the forward pass against
// the definition, y[2i+a, 2j+b] = x[i, j], on a 2D and a 3D grid of two
// samples with two channels (the gradient checks take the backward pass).
func TestUpsampleRepeatsEachValueOverItsBlock(t *testing.T) {
	team := kernels.NewTeam(1)
	defer team.Close()
	ws := NewWorkspace(team)
	for _, dim := range []int{2, 3} {
		const c, n, batch = 2, 3, 2
		d := 1
		if dim == 3 {
			d = n
		}
		in := Shape{C: c, Spatial: [3]int{d, n, n}}
		x := make([]float32, batch*in.Size())
		for i := range x {
			x[i] = float32(i)
		}
		l := &Upsample{Dim: dim}
		out, _, _, err := l.Setup(in)
		if err != nil {
			t.Fatal(err)
		}
		od := out.Spatial[0]
		if out.C != c || out.Spatial[1] != 2*n || out.Spatial[2] != 2*n || (dim == 3) != (od == 2*d) {
			t.Fatalf("%dD: output shape %+v", dim, out)
		}
		y := l.Forward(ws, x, batch, true)
		want := make([]float32, 0, len(y))
		for plane := range batch * c {
			for z := range od {
				for i := range 2 * n {
					for j := range 2 * n {
						zi := z
						if dim == 3 {
							zi = z / 2
						}
						want = append(want, x[plane*d*n*n+(zi*n+i/2)*n+j/2])
					}
				}
			}
		}
		if !slices.Equal(y, want) {
			t.Errorf("%dD: upsampled %v, want %v", dim, y, want)
		}
	}
}

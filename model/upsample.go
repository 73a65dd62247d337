package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/cosmogan/cosmogan/kernels"
)

// Upsample repeats each value of its input over a 2×2 (2D) or 2×2×2 (3D)
// block: the nearest-neighbour upsampling of a resize-convolution (Odena,
// Dumoulin & Olah 2016, "Deconvolution and checkerboard artifacts"). With the
// stride-1 convolution after it, it replaces a stride-2 transposed
// convolution, whose kernel overlaps unevenly over the output and prints a
// grid at the periods of the upsamplings (spikes of the spectrum at ν = N/16,
// N/8, N/4 for four layers). It has no parameters. Backward, each input value
// collects the gradient of its block.
type Upsample struct {
	Dim int // 2 or 3

	in    Shape
	batch int
	y, dx []float32
}

func (l *Upsample) Setup(in Shape) (Shape, int, int, error) {
	if err := checkSpatial(l.Dim, in); err != nil {
		return Shape{}, 0, 0, fmt.Errorf("upsample: %w", err)
	}
	l.in = in
	out := in
	for i := range out.Spatial {
		if l.Dim == 3 || i > 0 {
			out.Spatial[i] *= 2
		}
	}
	return out, 0, 0, nil
}

func (l *Upsample) Bind(_, _, _ []float32) {}
func (l *Upsample) Init(*rand.Rand)        {}
func (l *Upsample) FLOPs() int             { return 0 }

// blocks calls fn(i, o) for every input index i and each of the 2^Dim output
// indices o of its block, over a batch of per-sample planes.
func (l *Upsample) blocks(batch int, fn func(i, o int)) {
	d, h, w := l.in.Spatial[0], l.in.Spatial[1], l.in.Spatial[2]
	od := d
	dz := 1
	if l.Dim == 3 {
		od, dz = 2*d, 2
	}
	oh, ow := 2*h, 2*w
	for plane := range batch * l.in.C {
		i0, o0 := plane*d*h*w, plane*od*oh*ow
		for z := range d {
			for y := range h {
				for x := range w {
					i := i0 + (z*h+y)*w + x
					for bz := range dz {
						for by := range 2 {
							row := o0 + ((z*dz+bz)*oh+2*y+by)*ow + 2*x
							fn(i, row)
							fn(i, row+1)
						}
					}
				}
			}
		}
	}
}

func (l *Upsample) Forward(ws *Workspace, x []float32, batch int, _ bool) []float32 {
	l.batch = batch
	y := kernels.Grow(&l.y, batch*l.in.Size()<<l.Dim)
	l.blocks(batch, func(i, o int) { y[o] = x[i] })
	return y
}

func (l *Upsample) Backward(ws *Workspace, dy []float32, _, needDx bool) []float32 {
	if !needDx {
		return nil
	}
	dx := kernels.Grow(&l.dx, l.batch*l.in.Size())
	clear(dx)
	l.blocks(l.batch, func(i, o int) { dx[i] += dy[o] })
	return dx
}

// String describes the layer, e.g. "upsample ×2 of 64×16×16".
func (l *Upsample) String() string {
	return fmt.Sprintf("upsample ×2 of %d×%v", l.in.C, l.in.Spatial)
}

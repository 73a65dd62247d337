package kernels

import "math"

// Activations and their backward passes. Every backward pass is written in
// terms of the forward output y (not the input), so a layer only keeps its
// output: for ReLU and LeakyReLU y > 0 exactly when x > 0, tanh′ = 1 − y² and
// σ′ = y(1 − y).

type pointwiseOp int

const (
	opLeakyReLU pointwiseOp = iota
	opLeakyReLUBackward
	opTanh
	opTanhBackward
)

type pointwiseJob struct {
	op         pointwiseOp
	slope      float32
	x, dy, out []float32
}

// pointwiseGrain is the smallest chunk worth a worker: below it the wake-up
// costs more than the loop.
const pointwiseGrain = 1 << 14

func (t *Team) pointwise(op pointwiseOp, slope float32, x, dy, out []float32) {
	j := &t.jobs.pointwise
	*j = pointwiseJob{op: op, slope: slope, x: x, dy: dy, out: out}
	t.ForGrain(len(out), pointwiseGrain, j)
}

// ReLU is LeakyReLU with slope 0: y = x for x > 0, else 0·x (−0 for
// negative x; NaN stays NaN, so non-finite steps are still detected).
func ReLU(t *Team, x, y []float32) { t.pointwise(opLeakyReLU, 0, x, nil, y) }

// ReLUBackward sets dx = dy where y > 0 and 0·dy elsewhere.
func ReLUBackward(t *Team, y, dy, dx []float32) { t.pointwise(opLeakyReLUBackward, 0, y, dy, dx) }

// LeakyReLU sets y = x for x > 0 and slope·x otherwise.
func LeakyReLU(t *Team, slope float32, x, y []float32) { t.pointwise(opLeakyReLU, slope, x, nil, y) }

// LeakyReLUBackward sets dx = dy where y > 0 and slope·dy elsewhere.
func LeakyReLUBackward(t *Team, slope float32, y, dy, dx []float32) {
	t.pointwise(opLeakyReLUBackward, slope, y, dy, dx)
}

// Tanh sets y = tanh(x).
func Tanh(t *Team, x, y []float32) { t.pointwise(opTanh, 0, x, nil, y) }

// TanhBackward sets dx = dy·(1 − y²).
func TanhBackward(t *Team, y, dy, dx []float32) { t.pointwise(opTanhBackward, 0, y, dy, dx) }

func (j *pointwiseJob) Run(_, lo, hi int) {
	x, out := j.x[lo:hi], j.out[lo:hi]
	var dy []float32
	if j.dy != nil {
		dy = j.dy[lo:hi]
	}
	switch j.op {
	case opLeakyReLU:
		// The AVX2 loop does what the Go loop does: it selects x or slope·x
		// on x > 0 (a branch here mispredicts on every other random sign).
		done := leakyFast(j.slope, x, nil, out)
		x, out = x[done:], out[done:]
		for i, v := range x {
			if v > 0 {
				out[i] = v
			} else {
				out[i] = j.slope * v
			}
		}
	case opLeakyReLUBackward:
		done := leakyFast(j.slope, x, dy, out)
		x, dy, out = x[done:], dy[done:], out[done:]
		for i, y := range x {
			if y > 0 {
				out[i] = dy[i]
			} else {
				out[i] = j.slope * dy[i]
			}
		}
	case opTanh:
		for i, v := range x {
			out[i] = float32(math.Tanh(float64(v)))
		}
	case opTanhBackward:
		for i, y := range x {
			out[i] = dy[i] * (1 - y*y)
		}
	}
}

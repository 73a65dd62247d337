// Package bench times cosmogan's work: full GAN training steps of the
// paper's networks on the CPU or a GPU (Step), each of their layers (Layers),
// the GPU convolution kernels on their geometry (Kernels), the GEMM kernel
// (Gemm), and data-parallel scaling across the ranks of a job (Scaling),
// with a projection of ring all-reduce efficiency to more GPUs
// (ProjectRing). `cosmogan bench` prints them.
//
// It builds on model, kernels, kernels/cuda and parallel only, not on the
// daemon: Scaling takes the few values of a run's configuration it times
// (ScalingConfig), which the command fills from the daemon's configuration.
// A mistake in the arguments, or a GPU asked for that is not there, is an
// *ArgError (exit status 2 for the command); anything else fails at run time.
package bench

import (
	"fmt"

	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/model"
)

// ArgError is a mistake in a benchmark's arguments: a flag out of range, or
// a device that is not there.
type ArgError struct{ Err error }

func (e *ArgError) Error() string { return e.Err.Error() }
func (e *ArgError) Unwrap() error { return e.Err }

func argErrorf(format string, args ...any) error {
	return &ArgError{fmt.Errorf(format, args...)}
}

// openGPU opens GPU i of the node: a missing GPU, or a binary built without
// CUDA, is an ArgError.
func openGPU(i int) (*cuda.Device, error) {
	d, err := cuda.Open(i)
	if err != nil {
		return nil, &ArgError{fmt.Errorf(`device = "cuda": %w`, err)}
	}
	return d, nil
}

// paperArch is the paper's network for --dim: Table A.1 (2) or A.2 (3).
func paperArch(dim int) (model.Arch, error) {
	switch dim {
	case 2:
		return model.Paper2D(), nil
	case 3:
		return model.Paper3D(), nil
	}
	return model.Arch{}, argErrorf("--dim %d: want 2 or 3", dim)
}

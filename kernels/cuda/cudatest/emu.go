//go:build !cuda

package cudatest

import (
	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/kernels/cuda/emu"
)

// Open returns the emulator.
func Open() (*cuda.Device, error) { return emu.Open(), nil }

// Exact says whether runs on the test device repeat bitwise: the emulator
// runs every block in order, so its atomic adds always come in one order.
const Exact = true

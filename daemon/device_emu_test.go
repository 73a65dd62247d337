//go:build !cuda

package daemon

import (
	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/kernels/cuda/emu"
)

// Without the cuda tag, device = "cuda" runs on the emulator in these tests:
// the same kernels.cu, the same launches, on the host.
func init() {
	openCUDA = func(int) (*cuda.Device, error) { return emu.Open(), nil }
}

// exactOnDevice says whether device runs repeat bitwise: the emulator runs
// every block in order, a GPU adds atomically in any order.
const exactOnDevice = true

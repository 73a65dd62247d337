//go:build !cuda

package model

import (
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/kernels/cuda/emu"
)

// testDevice is the CUDA emulator in a build without the cuda tag.
func testDevice(t *testing.T) *cuda.Device {
	d := emu.Open()
	t.Cleanup(func() { d.Close() })
	return d
}

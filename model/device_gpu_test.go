//go:build cuda

package model

import (
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// testDevice is the machine's first GPU in a build with the cuda tag.
func testDevice(t *testing.T) *cuda.Device {
	d, err := cuda.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Package cudatest gives the tests of the GPU backend their device: the
// emulator (package emu) in a normal build, the machine's first GPU in a build
// with the cuda tag, so that the same tests run in CI and on a GPU machine
// (scripts/test-gpu.sh).
package cudatest

import (
	"math"
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// Device returns the test device, closed when t ends.
func Device(t testing.TB) *cuda.Device {
	t.Helper()
	d, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// MaxRelDiff is max|a − b| / max|b|: how far a is from b relative to b's
// scale (+Inf when a holds a NaN).
func MaxRelDiff(a, b []float32) float64 {
	var d, s float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		s = math.Max(s, math.Abs(float64(b[i])))
	}
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d / math.Max(s, 1e-30)
}

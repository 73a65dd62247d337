//go:build !amd64 || purego

package kernels

// pointwiseAsm would select assembly loops; there are none on this build.
var pointwiseAsm = false

// leakyFast has no fast version on this build: the caller does every value.
func leakyFast(slope float32, x, dy, out []float32) int { return 0 }

// adamFast has no fast version on this build: the caller does every value.
func adamFast(p, g, m, v []float32, k *adamConsts) int { return 0 }

//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// pointwiseAsm selects the AVX2 activation and Adam loops where the CPU has
// them; tests switch it off to exercise the portable loops.
var pointwiseAsm = cpu.X86.HasAVX2

//go:noescape
func leakyBackwardAsm(y, dy, dx *float32, n int, slope float32)

//go:noescape
func adamAsm(params, grads, mom, vel *float32, n int, k *adamConsts)

// leakyFast does the first multiple of 8 values of the LeakyReLU forward
// (dy == nil) or backward pass with AVX2 and returns how many it did; the
// caller does the rest. Bounds are checked here.
func leakyFast(slope float32, x, dy, out []float32) int {
	n := len(out) / 8 * 8
	if n == 0 || !pointwiseAsm {
		return 0
	}
	_, _ = x[n-1], out[n-1]
	if dy == nil {
		dy = x // the forward pass selects between x and slope·x
	}
	_ = dy[n-1]
	leakyBackwardAsm(&x[0], &dy[0], &out[0], n, slope)
	return n
}

// adamFast does the first multiple of 8 parameters of an Adam step with AVX2
// and returns how many it did.
func adamFast(p, g, m, v []float32, k *adamConsts) int {
	n := len(p) / 8 * 8
	if n == 0 || !pointwiseAsm {
		return 0
	}
	_, _, _, _ = p[n-1], g[n-1], m[n-1], v[n-1]
	adamAsm(&p[0], &g[0], &m[0], &v[0], n, k)
	return n
}

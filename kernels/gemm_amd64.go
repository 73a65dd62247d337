//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// gemmHaveAsm reports whether the AVX2+FMA micro-kernel can run on this CPU.
var gemmHaveAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemmKernelAsm is the AVX2+FMA 6×16 micro-kernel, in gemm_amd64.s (see
// gemmKernel for the contract). It must only be called when gemmHaveAsm.
//
//go:noescape
func gemmKernelAsm(k int, a, b, c *float32, ldc int, alpha, beta float32)

func init() {
	if gemmHaveAsm {
		gemmKernel = gemmKernelAsm
	}
}

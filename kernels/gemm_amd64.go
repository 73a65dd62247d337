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

// gemmKernelStridedAsm is gemmKernelAsm reading B unpacked (see
// gemmKernelStrided). It must only be called when gemmHaveAsm.
//
//go:noescape
func gemmKernelStridedAsm(k int, a, b, c *float32, ldc int, alpha, beta float32, ldb int)

// dot4Asm computes four dot products (see dot4).
//
//go:noescape
func dot4Asm(k int, a *float32, lda int, x *float32, out *float32)

// gemmAsmPack selects the AVX2 packing routine (tests switch it off to
// exercise the portable packing).
var gemmAsmPack = gemmHaveAsm

func init() {
	if gemmHaveAsm {
		gemmKernel = gemmKernelAsm
		gemmKernelStrided = gemmKernelStridedAsm
		gemmDot4 = gemmDot4Asm
	}
}

// packA6Asm interleaves 6 rows of A, 8 columns at a time (see packA6).
//
//go:noescape
func packA6Asm(dst, a *float32, lda, n8 int)

// packA6 sets d[p*6+r] = a[r*lda+p] for r < 6, p < kc, using AVX2 for
// whole groups of 8 columns when the CPU has it; it returns how many columns
// it did (a multiple of 8), the caller does the rest. Bounds are checked here.
func packA6(d, a []float32, lda, kc int) int {
	n8 := kc / 8
	if n8 == 0 || !gemmAsmPack {
		return 0
	}
	_ = d[n8*8*gemmMR-1]
	_ = a[5*lda+n8*8-1]
	packA6Asm(&d[0], &a[0], lda, n8)
	return n8 * 8
}

// packB16Asm copies whole 16-column panels of B (see packB16).
//
//go:noescape
func packB16Asm(dst, b *float32, ldb, kc, panels int)

// packB16 packs the first panels·16 columns of kc rows of b (row stride ldb)
// into dst as whole NR-column panels, using AVX when the CPU has it; it
// returns the number of panels done (0: the caller does them). Bounds are
// checked here.
func packB16(dst, b []float32, ldb, kc, panels int) int {
	if panels == 0 || kc == 0 || !gemmAsmPack {
		return 0
	}
	_ = dst[panels*kc*gemmNR-1]
	_ = b[(kc-1)*ldb+panels*gemmNR-1]
	packB16Asm(&dst[0], &b[0], ldb, kc, panels)
	return panels
}

// packAT6Asm packs whole 6-row panels of Aᵀ (see packAT6).
//
//go:noescape
func packAT6Asm(dst, a *float32, lda, kc, panels int)

// packAT6 packs the first panels·6 columns of kc rows of a (row stride lda),
// i.e. panels whole MR-row panels of op(A) = Aᵀ, into dst; it returns the
// number of panels done (0: the caller does them). Bounds are checked here.
func packAT6(dst, a []float32, lda, kc, panels int) int {
	if panels == 0 || kc == 0 || !gemmAsmPack {
		return 0
	}
	_ = dst[panels*kc*gemmMR-1]
	_ = a[(kc-1)*lda+panels*gemmMR-1]
	packAT6Asm(&dst[0], &a[0], lda, kc, panels)
	return panels
}

// packBT8Asm transposes 8 rows of B into 8 columns of a panel (see packBT8).
//
//go:noescape
func packBT8Asm(dst, b *float32, ldb, n8 int)

// packBT8 sets d[p*16+c] = b[c*ldb+p] for c < 8 and p < 8·(kc/8), using AVX
// when the CPU has it; it returns how many p it did (0 or a multiple of 8),
// the caller does the rest. Bounds are checked here.
func packBT8(d, b []float32, ldb, kc int) int {
	n8 := kc / 8
	if n8 == 0 || !gemmAsmPack {
		return 0
	}
	_ = d[(n8*8-1)*gemmNR+7]
	_ = b[7*ldb+n8*8-1]
	packBT8Asm(&d[0], &b[0], ldb, n8)
	return n8 * 8
}

// gemmDot4Asm is the AVX2+FMA dot4 (see gemmDot4). Bounds are checked here.
func gemmDot4Asm(k int, a []float32, lda int, x []float32, out *[4]float32) {
	_ = a[3*lda+k-1]
	_ = x[k-1]
	dot4Asm(k, &a[0], lda, &x[0], &out[0])
}

//go:build !amd64 || purego

package kernels

// gemmHaveAsm reports whether an assembly micro-kernel exists and runs on
// this CPU; on this build there is none.
const gemmHaveAsm = false

// gemmAsmPack would select assembly packing; there is none on this build.
var gemmAsmPack = false

// gemmKernelAsm stands in for the assembly kernel on builds without one.
var gemmKernelAsm = gemmKernelGo

// gemmKernelStridedAsm stands in for the assembly kernel on builds without one.
var gemmKernelStridedAsm = gemmKernelStridedGo

// packA6 has no fast version on this build: the caller packs every column.
func packA6(d, a []float32, lda, kc int) int { return 0 }

// packB16 has no fast version on this build: the caller packs every panel.
func packB16(dst, b []float32, ldb, kc, panels int) int { return 0 }

// packAT6 has no fast version on this build: the caller packs every panel.
func packAT6(dst, a []float32, lda, kc, panels int) int { return 0 }

// packBT8 has no fast version on this build: the caller packs everything.
func packBT8(d, b []float32, ldb, kc int) int { return 0 }

// gemmDot4Asm stands in for the assembly dot4 on builds without one.
var gemmDot4Asm = gemmDot4Go

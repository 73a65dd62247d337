//go:build amd64 && !purego

#include "textflag.h"

// One k step of the 6×16 kernel: B row in Y0:Y1, six broadcasts of A,
// twelve FMAs into the accumulators Y4…Y15 (row r in Y(4+2r), Y(5+2r)).
#define STEP(aoff, boff) \
	VMOVUPS      boff(DI), Y0         \
	VMOVUPS      boff+32(DI), Y1      \
	VBROADCASTSS aoff(SI), Y2         \
	VBROADCASTSS aoff+4(SI), Y3       \
	VFMADD231PS  Y0, Y2, Y4           \
	VFMADD231PS  Y1, Y2, Y5           \
	VFMADD231PS  Y0, Y3, Y6           \
	VFMADD231PS  Y1, Y3, Y7           \
	VBROADCASTSS aoff+8(SI), Y2       \
	VBROADCASTSS aoff+12(SI), Y3      \
	VFMADD231PS  Y0, Y2, Y8           \
	VFMADD231PS  Y1, Y2, Y9           \
	VFMADD231PS  Y0, Y3, Y10          \
	VFMADD231PS  Y1, Y3, Y11          \
	VBROADCASTSS aoff+16(SI), Y2      \
	VBROADCASTSS aoff+20(SI), Y3      \
	VFMADD231PS  Y0, Y2, Y12          \
	VFMADD231PS  Y1, Y2, Y13          \
	VFMADD231PS  Y0, Y3, Y14          \
	VFMADD231PS  Y1, Y3, Y15

// Row store with beta = 0: c = alpha·acc.
#define STORE0(lo, hi) \
	VMULPS  Y0, lo, lo   \
	VMULPS  Y0, hi, hi   \
	VMOVUPS lo, (R9)     \
	VMOVUPS hi, 32(R9)   \
	ADDQ    R8, R9

// Row store with beta ≠ 0: c = alpha·acc + beta·c.
#define STOREB(lo, hi) \
	VMULPS      Y0, lo, lo     \
	VMULPS      Y0, hi, hi     \
	VFMADD231PS (R9), Y1, lo   \
	VFMADD231PS 32(R9), Y1, hi \
	VMOVUPS     lo, (R9)       \
	VMOVUPS     hi, 32(R9)     \
	ADDQ        R8, R9

// func gemmKernelAsm(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·gemmKernelAsm(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	// Warm the C tile while the loop runs.
	MOVQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	VBROADCASTSS alpha+40(FP), Y0
	MOVQ         DX, R9
	MOVL         beta+44(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           beta0
	VBROADCASTSS beta+44(FP), Y1
	STOREB(Y4, Y5)
	STOREB(Y6, Y7)
	STOREB(Y8, Y9)
	STOREB(Y10, Y11)
	STOREB(Y12, Y13)
	STOREB(Y14, Y15)
	VZEROUPPER
	RET

beta0:
	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	STORE0(Y10, Y11)
	STORE0(Y12, Y13)
	STORE0(Y14, Y15)
	VZEROUPPER
	RET

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

// func packA6Asm(dst, a *float32, lda, n8 int)
// Interleaves 6 rows of A (row stride lda floats) 8 columns at a time:
// dst[p*6+r] = a[r*lda+p] for p < 8·n8.
TEXT ·packA6Asm(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ n8+24(FP), CX
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11 // 3·lda
	LEAQ (SI)(R10*1), R12  // row 1, so row 5 = R12 + 4·lda
	TESTQ CX, CX
	JZ   pdone

ploop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R10*1), Y1
	VMOVUPS (SI)(R10*2), Y2
	VMOVUPS (SI)(R11*1), Y3
	VMOVUPS (SI)(R10*4), Y4
	VMOVUPS (R12)(R10*4), Y5
	VUNPCKLPS Y1, Y0, Y6  // t0
	VUNPCKHPS Y1, Y0, Y7  // t1
	VUNPCKLPS Y3, Y2, Y8  // t2
	VUNPCKHPS Y3, Y2, Y9  // t3
	VUNPCKLPS Y5, Y4, Y10 // t4: rows 4,5 of cols 0,1 | 4,5
	VUNPCKHPS Y5, Y4, Y11 // t5: rows 4,5 of cols 2,3 | 6,7
	VSHUFPS $0x44, Y8, Y6, Y0 // rows 0-3 of col 0 | col 4
	VSHUFPS $0xEE, Y8, Y6, Y1 // col 1 | col 5
	VSHUFPS $0x44, Y9, Y7, Y2 // col 2 | col 6
	VSHUFPS $0xEE, Y9, Y7, Y3 // col 3 | col 7
	VMOVUPS X0, 0(DI)
	VMOVLPS X10, 16(DI)
	VMOVUPS X1, 24(DI)
	VMOVHPS X10, 40(DI)
	VMOVUPS X2, 48(DI)
	VMOVLPS X11, 64(DI)
	VMOVUPS X3, 72(DI)
	VMOVHPS X11, 88(DI)
	VEXTRACTF128 $1, Y0, X0
	VEXTRACTF128 $1, Y1, X1
	VEXTRACTF128 $1, Y2, X2
	VEXTRACTF128 $1, Y3, X3
	VEXTRACTF128 $1, Y10, X10
	VEXTRACTF128 $1, Y11, X11
	VMOVUPS X0, 96(DI)
	VMOVLPS X10, 112(DI)
	VMOVUPS X1, 120(DI)
	VMOVHPS X10, 136(DI)
	VMOVUPS X2, 144(DI)
	VMOVLPS X11, 160(DI)
	VMOVUPS X3, 168(DI)
	VMOVHPS X11, 184(DI)
	ADDQ $32, SI
	ADDQ $32, R12
	ADDQ $192, DI
	DECQ CX
	JNZ  ploop

pdone:
	VZEROUPPER
	RET

// func packB16Asm(dst, b *float32, ldb, kc, panels int)
// Copies whole 16-column panels of kc rows of B (row stride ldb floats):
// dst[q*kc*16 + p*16 + c] = b[p*ldb + q*16 + c], row by row.
TEXT ·packB16Asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ kc+24(FP), CX
	MOVQ panels+32(FP), R9
	SHLQ $2, R8
	MOVQ CX, R10
	SHLQ $6, R10 // panel stride in bytes: kc·64
	TESTQ CX, CX
	JZ   bdone
	TESTQ R9, R9
	JZ   bdone

brow:
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R9, BX

bpanel:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ $64, AX
	ADDQ R10, DX
	DECQ BX
	JNZ  bpanel
	ADDQ R8, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  brow

bdone:
	VZEROUPPER
	RET

// func packAT6Asm(dst, a *float32, lda, kc, panels int)
// Packs whole 6-row panels of op(A) = Aᵀ: dst[q*kc*6 + p*6 + r] =
// a[p*lda + q*6 + r] for p < kc, q < panels (row p of the stored A is read
// contiguously).
TEXT ·packAT6Asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ kc+24(FP), CX
	MOVQ panels+32(FP), R9
	SHLQ $2, R8
	LEAQ (CX)(CX*2), R10
	SHLQ $3, R10 // panel stride in bytes: kc·24
	TESTQ CX, CX
	JZ   atdone
	TESTQ R9, R9
	JZ   atdone

atrow:
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R9, BX

atpanel:
	VMOVUPS (AX), X0
	VMOVSD  16(AX), X1
	VMOVUPS X0, (DX)
	VMOVSD  X1, 16(DX)
	ADDQ $24, AX
	ADDQ R10, DX
	DECQ BX
	JNZ  atpanel
	ADDQ R8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ  atrow

atdone:
	RET

// func packBT8Asm(dst, b *float32, ldb, n8 int)
// Transposes 8 rows of the stored B (row stride ldb floats) into 8 columns of
// a 16-wide panel: dst[p*16 + c] = b[c*ldb + p] for c < 8, p < 8·n8.
TEXT ·packBT8Asm(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R10
	MOVQ n8+24(FP), CX
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11 // 3·ldb
	LEAQ (SI)(R10*1), R12  // row 1: row 5 = R12 + 4·ldb
	LEAQ (SI)(R11*2), R13  // row 6: row 7 = R13 + ldb
	TESTQ CX, CX
	JZ   btdone

btloop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R10*1), Y1
	VMOVUPS (SI)(R10*2), Y2
	VMOVUPS (SI)(R11*1), Y3
	VMOVUPS (SI)(R10*4), Y4
	VMOVUPS (R12)(R10*4), Y5
	VMOVUPS (R13), Y6
	VMOVUPS (R13)(R10*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, 0(DI)
	VMOVUPS Y9, 64(DI)
	VMOVUPS Y10, 128(DI)
	VMOVUPS Y11, 192(DI)
	VMOVUPS Y12, 256(DI)
	VMOVUPS Y13, 320(DI)
	VMOVUPS Y14, 384(DI)
	VMOVUPS Y15, 448(DI)
	ADDQ $32, SI
	ADDQ $32, R12
	ADDQ $32, R13
	ADDQ $512, DI
	DECQ CX
	JNZ  btloop

btdone:
	VZEROUPPER
	RET

// One k step of the strided-B kernel: as STEP, but the B row is read from
// the unpacked matrix (DI advances by R11 bytes a row), prefetching 8 rows on.
#define STEPS(aoff) \
	VMOVUPS      (DI), Y0             \
	VMOVUPS      32(DI), Y1           \
	PREFETCHT0   (DI)(R11*8)          \
	ADDQ         R11, DI              \
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

// func gemmKernelStridedAsm(k int, a, b, c *float32, ldc int, alpha, beta float32, ldb int)
// As gemmKernelAsm, but row p of the B panel is at b + p·ldb floats.
TEXT ·gemmKernelStridedAsm(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ ldb+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, R11

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
	JZ   stail

sloop4:
	STEPS(0)
	STEPS(24)
	STEPS(48)
	STEPS(72)
	ADDQ $96, SI
	DECQ BX
	JNZ  sloop4

stail:
	TESTQ CX, CX
	JZ    sstore

sloop1:
	STEPS(0)
	ADDQ $24, SI
	DECQ CX
	JNZ  sloop1

sstore:
	VBROADCASTSS alpha+40(FP), Y0
	MOVQ         DX, R9
	MOVL         beta+44(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           sbeta0
	VBROADCASTSS beta+44(FP), Y1
	STOREB(Y4, Y5)
	STOREB(Y6, Y7)
	STOREB(Y8, Y9)
	STOREB(Y10, Y11)
	STOREB(Y12, Y13)
	STOREB(Y14, Y15)
	VZEROUPPER
	RET

sbeta0:
	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	STORE0(Y10, Y11)
	STORE0(Y12, Y13)
	STORE0(Y14, Y15)
	VZEROUPPER
	RET

// func dot4Asm(k int, a *float32, lda int, x *float32, out *float32)
// out[r] = Σ_p a[r*lda+p]·x[p] for r < 4: 16 columns at a time into two
// 8-lane partial sums per row, reduced in a fixed order, then the last k%16
// columns one by one.
TEXT ·dot4Asm(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ x+24(FP), DI
	MOVQ out+32(FP), DX
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ CX, BX
	SHRQ $4, BX
	ANDQ $15, CX
	TESTQ BX, BX
	JZ   dreduce

dloop:
	VMOVUPS     (DI), Y8
	VMOVUPS     32(DI), Y9
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y1
	VFMADD231PS (SI)(R10*1), Y8, Y2
	VFMADD231PS 32(SI)(R10*1), Y9, Y3
	VFMADD231PS (SI)(R10*2), Y8, Y4
	VFMADD231PS 32(SI)(R10*2), Y9, Y5
	VFMADD231PS (SI)(R11*1), Y8, Y6
	VFMADD231PS 32(SI)(R11*1), Y9, Y7
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ BX
	JNZ  dloop

dreduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y5, Y4, Y4
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y0, X1
	VEXTRACTF128 $1, Y2, X3
	VEXTRACTF128 $1, Y4, X5
	VEXTRACTF128 $1, Y6, X7
	VADDPS       X1, X0, X0
	VADDPS       X3, X2, X2
	VADDPS       X5, X4, X4
	VADDPS       X7, X6, X6
	VHADDPS      X0, X0, X0
	VHADDPS      X2, X2, X2
	VHADDPS      X4, X4, X4
	VHADDPS      X6, X6, X6
	VHADDPS      X0, X0, X0
	VHADDPS      X2, X2, X2
	VHADDPS      X4, X4, X4
	VHADDPS      X6, X6, X6
	TESTQ        CX, CX
	JZ           dstore

dtail:
	VMOVSS      (DI), X8
	VFMADD231SS (SI), X8, X0
	VFMADD231SS (SI)(R10*1), X8, X2
	VFMADD231SS (SI)(R10*2), X8, X4
	VFMADD231SS (SI)(R11*1), X8, X6
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         dtail

dstore:
	VMOVSS X0, 0(DX)
	VMOVSS X2, 4(DX)
	VMOVSS X4, 8(DX)
	VMOVSS X6, 12(DX)
	VZEROUPPER
	RET

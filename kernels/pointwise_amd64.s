//go:build amd64 && !purego

#include "textflag.h"

// func leakyBackwardAsm(y, dy, dx *float32, n int, slope float32)
// dx = y > 0 ? dy : slope·dy; n is a positive multiple of 8. With dy = y it
// is the forward pass, y = x > 0 ? x : slope·x.
TEXT ·leakyBackwardAsm(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), SI
	MOVQ         dy+8(FP), DX
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS slope+32(FP), Y1
	VXORPS       Y2, Y2, Y2

leakybloop:
	VMOVUPS   (SI), Y0
	VMOVUPS   (DX), Y6
	VMULPS    Y6, Y1, Y3
	VCMPPS    $0x0E, Y2, Y0, Y4 // y > 0
	VBLENDVPS Y4, Y6, Y3, Y5    // dy where y > 0, else slope·dy
	VMOVUPS   Y5, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       leakybloop
	VZEROUPPER
	RET

// func adamAsm(params, grads, mom, vel *float32, n int, k *adamConsts)
// One Adam step (see adamJob.Run for the formula), the same operations in
// the same order, 8 lanes at a time; n is a positive multiple of 8.
// k holds b1, 1−b1, b2, 1−b2, lr, c1, c2, eps.
TEXT ·adamAsm(SB), NOSPLIT, $0-48
	MOVQ         params+0(FP), DI
	MOVQ         grads+8(FP), SI
	MOVQ         mom+16(FP), R8
	MOVQ         vel+24(FP), R9
	MOVQ         n+32(FP), CX
	MOVQ         k+40(FP), AX
	VBROADCASTSS 0(AX), Y8   // b1
	VBROADCASTSS 4(AX), Y9   // 1 − b1
	VBROADCASTSS 8(AX), Y10  // b2
	VBROADCASTSS 12(AX), Y11 // 1 − b2
	VBROADCASTSS 16(AX), Y12 // lr
	VBROADCASTSS 20(AX), Y13 // c1
	VBROADCASTSS 24(AX), Y14 // c2
	VBROADCASTSS 28(AX), Y15 // eps

adamloop:
	VMOVUPS (SI), Y0     // g
	VMULPS  (R8), Y8, Y1 // b1·m
	VMULPS  Y0, Y9, Y2   // (1−b1)·g
	VADDPS  Y2, Y1, Y1   // m'
	VMOVUPS Y1, (R8)
	VMULPS  (R9), Y10, Y3 // b2·v
	VMULPS  Y0, Y11, Y4   // (1−b2)·g
	VMULPS  Y0, Y4, Y4    // ·g
	VADDPS  Y4, Y3, Y3    // v'
	VMOVUPS Y3, (R9)
	VDIVPS  Y13, Y1, Y1 // m'/c1
	VMULPS  Y1, Y12, Y1 // lr·m'/c1
	VDIVPS  Y14, Y3, Y3 // v'/c2
	VSQRTPS Y3, Y3
	VADDPS  Y15, Y3, Y3
	VDIVPS  Y3, Y1, Y1
	VMOVUPS (DI), Y5
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JNZ     adamloop
	VZEROUPPER
	RET

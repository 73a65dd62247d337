package kernels

import "unsafe"

// gemmKernelGo is the portable micro-kernel (see gemmKernel for the contract).
func gemmKernelGo(k int, ap, bp, cp *float32, ldc int, alpha, beta float32) {
	gemmKernelStridedGo(k, ap, bp, cp, ldc, alpha, beta, gemmNR)
}

// gemmKernelStridedGo is the portable strided-B micro-kernel (see
// gemmKernelStrided for the contract).
func gemmKernelStridedGo(k int, ap, bp, cp *float32, ldc int, alpha, beta float32, ldb int) {
	a := unsafe.Slice(ap, k*gemmMR)
	b := unsafe.Slice(bp, (k-1)*ldb+gemmNR)
	var acc [gemmMR * gemmNR]float32
	for p := 0; p < k; p++ {
		bv := (*[gemmNR]float32)(b[p*ldb : p*ldb+gemmNR])
		av := (*[gemmMR]float32)(a[p*gemmMR : p*gemmMR+gemmMR])
		for r, x := range av {
			row := (*[gemmNR]float32)(acc[r*gemmNR : r*gemmNR+gemmNR])
			for j, y := range bv {
				row[j] += x * y
			}
		}
	}
	c := unsafe.Slice(cp, (gemmMR-1)*ldc+gemmNR)
	for r := 0; r < gemmMR; r++ {
		row := (*[gemmNR]float32)(c[r*ldc : r*ldc+gemmNR])
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[r*gemmNR+j]
			} else {
				row[j] = alpha*acc[r*gemmNR+j] + beta*row[j]
			}
		}
	}
}

// gemmDot4Go is the portable dot4 (see gemmDot4): out[r] = Σ_p
// a[r·lda+p]·x[p], summed in order.
func gemmDot4Go(k int, a []float32, lda int, x []float32, out *[4]float32) {
	x = x[:k]
	for r := range out {
		row := a[r*lda : r*lda+k]
		var s float32
		for p, v := range x {
			s += row[p] * v
		}
		out[r] = s
	}
}

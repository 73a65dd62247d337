package kernels

import "unsafe"

// padUp rounds n up to a multiple of r.
func padUp(n, r int) int { return (n + r - 1) / r * r }

// grow returns a 64-byte aligned slice of n floats backed by *buf, reallocating
// *buf only when it is too small.
func grow(buf *[]float32, view []float32, n int) []float32 {
	if len(view) >= n {
		return view[:n]
	}
	const pad = 16 // floats of slack to align to 64 bytes
	if cap(*buf) < n+pad {
		*buf = make([]float32, n+pad)
	}
	off := int(uintptr(unsafe.Pointer(&(*buf)[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return (*buf)[off : off+n]
}

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels: panel q holds
// rows i0+q·MR … as dst[q·MR·kc + p·MR + r]; rows past mc are zero.
func packA(dst, a []float32, lda int, trans bool, i0, mc, p0, kc int) {
	if trans {
		// Row p of the stored A holds column p of op(A): read it contiguously.
		done := packAT6(dst, a[p0*lda+i0:], lda, kc, mc/gemmMR) * gemmMR
		packRows(dst, a, lda, p0, kc, i0, mc, done, gemmMR)
		return
	}
	for q := 0; q < mc; q += gemmMR {
		var rows [gemmMR][]float32
		for r := range rows {
			if q+r < mc {
				base := (i0+q+r)*lda + p0
				rows[r] = a[base : base+kc : base+kc]
			} else {
				rows[r] = gemmZeros[:kc:kc]
			}
		}
		r0, r1, r2, r3, r4, r5 := rows[0], rows[1][:len(rows[0])], rows[2][:len(rows[0])], rows[3][:len(rows[0])], rows[4][:len(rows[0])], rows[5][:len(rows[0])]
		d := dst[q*kc : q*kc+len(r0)*gemmMR]
		done := 0 // columns packed by the vector routine
		if q+gemmMR <= mc {
			done = packA6(d, a[(i0+q)*lda+p0:], lda, kc)
		}
		for p := done; p < len(r0); p++ {
			e := (*[gemmMR]float32)(d[p*gemmMR:])
			e[0], e[1], e[2], e[3], e[4], e[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
	}
}

// packRows packs rows p0 … p0+kc, columns c0 … c0+n of the row-major matrix
// m into panels w columns wide, dst[q·kc + p·w + c] for panel column q, from
// panel column done on (the vector routine packed those before); columns
// past n are zero. It is how both packings read a matrix along its rows.
func packRows(dst, m []float32, ld, p0, kc, c0, n, done, w int) {
	for p := 0; p < kc; p++ {
		row := m[(p0+p)*ld+c0 : (p0+p)*ld+c0+n]
		for q := done; q < n; q += w {
			e := dst[q*kc+p*w : q*kc+p*w+w]
			k := copy(e, row[q:])
			clear(e[k:])
		}
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels: panel q holds
// columns j0+q·NR … as dst[q·NR·kc + p·NR + c]; columns past nc are zero.
func packB(dst, b []float32, ldb int, trans bool, p0, kc, j0, nc int) {
	if !trans {
		// Read each row of B contiguously (good for the hardware prefetcher
		// and the TLB when ldb is large), scatter it over the panels.
		done := packB16(dst, b[p0*ldb+j0:], ldb, kc, nc/gemmNR) * gemmNR
		packRows(dst, b, ldb, p0, kc, j0, nc, done, gemmNR)
		return
	}
	// Row j of the stored B holds column j of op(B).
	for q := 0; q < nc; q += gemmNR {
		nr := min(gemmNR, nc-q)
		d := dst[q*kc : q*kc+kc*gemmNR]
		c0 := 0
		for ; c0+8 <= nr; c0 += 8 { // 8 columns at a time, vectorised
			base := (j0+q+c0)*ldb + p0
			done := packBT8(d[c0:], b[base:], ldb, kc)
			for c := c0; c < c0+8; c++ {
				col := b[(j0+q+c)*ldb+p0 : (j0+q+c)*ldb+p0+kc]
				for p := done; p < kc; p++ {
					d[p*gemmNR+c] = col[p]
				}
			}
		}
		for c := c0; c < nr; c++ {
			col := b[(j0+q+c)*ldb+p0 : (j0+q+c)*ldb+p0+kc]
			for p, v := range col {
				d[p*gemmNR+c] = v
			}
		}
		for c := nr; c < gemmNR; c++ {
			for p := 0; p < kc; p++ {
				d[p*gemmNR+c] = 0
			}
		}
	}
}

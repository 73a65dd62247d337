package kernels

// Sgemm is organised as in GotoBLAS/BLIS:
//
//	for jc over blocks of gemmNC columns of C          (B block kc×nc ~ L3)
//	  for pc over blocks of gemmKC of the k dimension  (sequential, in order)
//	    pack op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels
//	    for ic over blocks of gemmMC rows of C         (A block mc×kc ~ L2)
//	      pack op(A)[ic:ic+mc, pc:pc+kc] into MR-row panels
//	      for jr over NR panels: for ir over MR panels: micro-kernel
//
// The micro-kernel multiplies an MR×kc panel of A by a kc×NR panel of B in
// registers and folds the result into C: C = alpha·AB + beta·C on the first
// k block, C = alpha·AB + C on the following ones. The packing routines absorb
// the transposes and zero-pad the last panels, so the micro-kernel always sees
// full MR×NR tiles; a tile that sticks out of C goes through a small MR×NR
// scratch tile (copied in, computed by the very same micro-kernel, copied
// out), so every element of C sees exactly the same floating-point operations
// wherever its tile lies.
//
// Blocking (float32, MR=6, NR=16), sized for a Zen 4 core (32 KiB L1d, 1 MiB
// L2, shared L3) and equally sensible on Intel cores with 32–48 KiB L1d and
// ≥ 256 KiB L2. Measured there, KC = 256…512 with MC = 72…144 perform alike
// (within the noise of a shared machine); MC = 288 was ~10% slower at 2048³:
//   - gemmKC = 256: a B micro-panel (kc×NR×4 B = 16 KiB) stays in L1 while the
//     ir loop streams A micro-panels (6 KiB each) past it.
//   - gemmMC = 144 (24 A panels): the packed A block, mc×kc×4 B = 144 KiB,
//     stays in L2 while the jr loop sweeps it once per B micro-panel.
//   - gemmNC = 4080: the packed B block, kc×nc×4 B ≈ 4 MiB per worker, is
//     reused from L3 (or L2-spilled memory) by every A block.
//
// Matrix-vector products whose rows and vector are both contiguous (n = 1
// with op(A) = A, m = 1 with op(B) = Bᵀ) are computed as dot products instead,
// four rows at a time, each with 8-lane partial sums reduced in a fixed order
// (see gemmDot4): still independent of the number of workers.
//
// Skinny products: when C is narrower than NR (and taller than that), the
// call computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead, with tiles stored transposed;
// a worker with few rows of C reads B unpacked (see gemmSupRows).
//
// Parallelism: the rows (or, for wide problems, the columns) of C are split
// over the workers in whole MR-row (NR-column) units; every worker runs the
// loops above on its own part with its own packing buffers. Since the k
// blocking is global (pc = 0, KC, 2·KC, …) and each element's tile arithmetic
// does not depend on where its tile lies, every element of C is computed by
// the same sequence of operations for any number of workers: results are
// bitwise identical across thread counts.
const (
	gemmMR = 6
	gemmNR = 16
	gemmKC = 256
	gemmMC = 144
	gemmNC = 4080

	// gemmSerialFlops: below this many flops (2·m·n·k, ~40 µs on one core) a
	// call runs on the calling goroutine alone: waking a parked worker costs
	// ~20 µs on a virtual machine, more than splitting would save.
	gemmSerialFlops = 1 << 22
)

// gemmKernel is the micro-kernel in use: it computes, for the MR×NR tile at
// c (row stride ldc), c = alpha·Σ_p a[p·MR+i]·b[p·NR+j] + beta·c, summing p
// from 0 to k-1 in order, with k ≥ 1; beta = 0 means c is not read. a and b
// are packed panels of k·MR and k·NR floats. Tests switch it between the
// assembly kernel and the portable one.
var gemmKernel = gemmKernelGo

// gemmKernelStrided is gemmKernel reading a B panel that was not packed: row
// p of it is the NR floats at b + p·ldb. Small-m products use it to read
// op(B) = B straight from the caller's matrix, where packing would copy all
// of B to use each element only once or twice. The arithmetic is exactly the
// packed kernel's.
var gemmKernelStrided = gemmKernelStridedGo

// A worker whose share of C has at most gemmSupRows rows, with op(B) = B
// and rows of B at most gemmSupMaxLdb floats apart, reads B unpacked with
// gemmKernelStrided: each B panel is then used by at most 3 A panels, too
// few to repay packing (16×16×20000: 42 → 58 GFLOP/s, 1×512×4096: 7 → 15 on
// one Zen 4 core). With rows further apart a KC-row panel spans more pages
// than the TLB covers and packing wins again (18×200000×64: 38 vs 53).
const (
	gemmSupRows   = 3 * gemmMR
	gemmSupMaxLdb = 4096
)

// workspace is one worker's packing scratch for Sgemm. The buffers grow when a
// bigger problem arrives and are kept for the next call.
type workspace struct {
	abuf, bbuf []float32 // backing storage (over-allocated for alignment)
	ap, bp     []float32 // 64-byte aligned views: packed A block, packed B block
	tile       [gemmMR * gemmNR]float32
	job        gemmJob // the call's job (only workspace 0's is used)
	gemv       gemvJob // the same for matrix-vector products
}

// gemmJob holds the arguments of one Sgemm call; Run computes a range of
// row units (MR rows) or column units (NR columns) of C.
type gemmJob struct {
	ws             []workspace
	transA, transB bool
	byCols         bool // units are NR-column blocks (else MR-row blocks)
	ctrans         bool // m, n, a, b describe Cᵀ: tile (i, j) is stored at c[j·ldc+i]
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	vb             bPacker // when not nil, packs op(B) (b, ldb and transB unused)
}

func (j *gemmJob) Run(worker, lo, hi int) {
	if j.byCols {
		j0, j1 := lo*gemmNR, min(hi*gemmNR, j.n)
		sgemmBlock(&j.ws[worker], j, 0, j.m, j0, j1)
	} else {
		i0, i1 := lo*gemmMR, min(hi*gemmMR, j.m)
		sgemmBlock(&j.ws[worker], j, i0, i1, 0, j.n)
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(A) is m×k (A itself, or Aᵀ when transA), op(B) is k×n, and C is m×n with
// leading dimension ldc. lda and ldb are the leading dimensions of A and B as
// stored. beta = 0 overwrites C without reading it.
//
// The work is spread over t's workers (t may be nil: the call then runs on
// the calling goroutine with freshly allocated scratch). Results are bitwise
// identical for any number of workers. Once t's scratch has grown to the
// problem size, a call allocates nothing.
func Sgemm(t *Team, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("kernels: Sgemm: negative dimension")
	}
	if m == 0 || n == 0 {
		return
	}
	if ldc < n || len(c) < (m-1)*ldc+n {
		panic("kernels: Sgemm: C too small for m, n, ldc")
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if beta == 0 {
					row[j] = alpha * 0
				} else {
					row[j] = alpha*0 + beta*row[j]
				}
			}
		}
		return
	}
	ar, ac := m, k // stored shape of A
	if transA {
		ar, ac = k, m
	}
	if lda < ac || len(a) < (ar-1)*lda+ac {
		panic("kernels: Sgemm: A too small for m, k, lda")
	}
	br, bc := k, n // stored shape of B
	if transB {
		br, bc = n, k
	}
	if ldb < bc || len(b) < (br-1)*ldb+bc {
		panic("kernels: Sgemm: B too small for k, n, ldb")
	}

	if t == nil {
		t = &Team{threads: 1, ws: make([]workspace, 1)}
	}
	// Matrix-vector products with a contiguous vector and contiguous rows
	// (dense layers at batch size 1) take the dot-product path.
	if n == 1 && !transA && (transB || ldb == 1) {
		sgemv(t, m, k, a, lda, b[:k], c, ldc, alpha, beta)
		return
	}
	if m == 1 && transB && (!transA || lda == 1) {
		sgemv(t, n, k, b, ldb, a[:k], c, 1, alpha, beta)
		return
	}
	j := &t.ws[0].job
	*j = gemmJob{ws: t.ws, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	if padUp(m, gemmMR)*padUp(n, gemmNR) > 5*padUp(n, gemmMR)*padUp(m, gemmNR)/4 {
		// Narrow C (n < NR ≤ m, say): the zero-padded tiles would waste most
		// of the micro-kernel's work. Compute Cᵀ = op(B)ᵀ·op(A)ᵀ instead,
		// storing the tiles transposed. Each element still gets the same
		// products (a·b = b·a exactly) summed in the same order.
		j.m, j.n = n, m
		j.a, j.b, j.lda, j.ldb = b, a, ldb, lda
		j.transA, j.transB = !transB, !transA
		j.ctrans = true
	}
	t.gemm(j)
}

// A bPacker stands for a B operand that is never stored: it writes
// op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels exactly as packB lays out
// a stored one. Convolutions use it to gather their column matrix from the
// image while packing (see convCols), instead of writing and rereading it.
type bPacker interface {
	packB(dst []float32, p0, kc, j0, nc int)
}

// sgemmPackedB is Sgemm with op(B) supplied by a packer: C = alpha·op(A)·op(B)
// + beta·C with op(B) k×n. Every element of C sees the same operations as in
// Sgemm, so results are bitwise identical for any number of workers. The
// caller checks the sizes; k ≥ 1.
func sgemmPackedB(t *Team, transA bool, m, n, k int, alpha float32, a []float32, lda int, vb bPacker, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	j := &t.ws[0].job
	*j = gemmJob{ws: t.ws, transA: transA, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, c: c, lda: lda, ldc: ldc, vb: vb}
	t.gemm(j)
}

// gemm runs job j (set up in t.ws[0].job) over t's workers: in whole
// MR-row units, or NR-column units when C has more of those.
func (t *Team) gemm(j *gemmJob) {
	m, n, k := j.m, j.n, j.k
	unitsM := (m + gemmMR - 1) / gemmMR
	unitsN := (n + gemmNR - 1) / gemmNR
	units := unitsM
	if unitsN > unitsM {
		j.byCols = true
		units = unitsN
	}
	if t.threads == 1 || units == 1 || 2*m*n*k < gemmSerialFlops {
		j.Run(0, 0, units)
	} else {
		t.For(units, j)
	}
	*j = gemmJob{} // drop references to the caller's slices
}

// gemmDot4 computes four dot products of length k ≥ 1, out[r] =
// Σ_p a[r·lda+p]·x[p] (lda may be 0: four copies of one row). Each row's
// arithmetic does not depend on the other three rows.
var gemmDot4 = gemmDot4Go

// gemvJob computes c[i·ldc] = alpha·rows[i]·x + beta·c[i·ldc] for i < l, where
// row i is rows[i·ld : i·ld+k]; Run takes units of 4 rows.
type gemvJob struct {
	ws          []workspace
	rows, x, c  []float32
	ld, ldc     int
	l, k        int
	alpha, beta float32
}

func (j *gemvJob) Run(worker, lo, hi int) {
	dot := gemmDot4
	out := (*[4]float32)(j.ws[worker].tile[:4]) // (a local would escape)
	for i := lo * 4; i < min(hi*4, j.l); i += 4 {
		nr := min(4, j.l-i)
		if nr == 4 {
			dot(j.k, j.rows[i*j.ld:], j.ld, j.x, out)
		}
		for r := 0; r < nr; r++ {
			if nr < 4 { // the last rows, one by one: same arithmetic
				dot(j.k, j.rows[(i+r)*j.ld:], 0, j.x, out)
				out[r] = out[0]
			}
			ci := &j.c[(i+r)*j.ldc]
			if j.beta == 0 {
				*ci = j.alpha * out[r]
			} else {
				*ci = j.alpha*out[r] + j.beta**ci
			}
		}
	}
}

// sgemv computes the l outputs of a matrix-vector product (see gemvJob),
// spread over t's workers in units of 4 rows.
func sgemv(t *Team, l, k int, rows []float32, ld int, x, c []float32, ldc int, alpha, beta float32) {
	j := &t.ws[0].gemv
	*j = gemvJob{ws: t.ws, rows: rows, x: x, c: c, ld: ld, ldc: ldc, l: l, k: k, alpha: alpha, beta: beta}
	units := (l + 3) / 4
	if t.threads == 1 || units == 1 || 2*l*k < gemmSerialFlops {
		j.Run(0, 0, units)
	} else {
		t.For(units, j)
	}
	*j = gemvJob{}
}

// sgemmBlock computes rows [i0, i1) × columns [j0, j1) of C on one worker.
// It is longer than the project's 80 lines on purpose: the five loops of the
// scheme above (jc, pc, ic, jr, ir) with their edge tiles read best as one
// nest, as in BLIS; split, they would hand a dozen loop bounds around.
func sgemmBlock(w *workspace, j *gemmJob, i0, i1, j0, j1 int) {
	m, n, k := i1-i0, j1-j0, j.k
	kcMax := min(k, gemmKC)
	ncMax := (min(n, gemmNC) + gemmNR - 1) / gemmNR * gemmNR
	mcMax := (min(m, gemmMC) + gemmMR - 1) / gemmMR * gemmMR
	if len(w.bp) < kcMax*ncMax {
		w.bp = grow(&w.bbuf, w.bp, kcMax*ncMax)
	}
	if len(w.ap) < kcMax*mcMax {
		w.ap = grow(&w.abuf, w.ap, kcMax*mcMax)
	}
	kern, kernS := gemmKernel, gemmKernelStrided
	sup := j.vb == nil && !j.transB && m <= gemmSupRows && j.ldb <= gemmSupMaxLdb
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			if j.vb != nil {
				j.vb.packB(w.bp, pc, kc, jc, nc)
			} else if !sup {
				packB(w.bp, j.b, j.ldb, j.transB, pc, kc, jc, nc)
			} else if nc%gemmNR != 0 {
				// Only the last, partial panel needs packing (zero padding).
				last := nc / gemmNR * gemmNR
				packB(w.bp, j.b, j.ldb, false, pc, kc, jc+last, nc-last)
			}
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				packA(w.ap, j.a, j.lda, j.transA, ic, mc, pc, kc)
				for jr := 0; jr < nc; jr += gemmNR {
					nr := min(gemmNR, nc-jr)
					// The B panel: packed (row stride NR) or in place.
					bp, bs := &w.bp[jr*kc], gemmNR
					if sup {
						if nr == gemmNR {
							bp, bs = &j.b[pc*j.ldb+jc+jr], j.ldb
						} else {
							bp = &w.bp[0]
						}
					}
					for ir := 0; ir < mc; ir += gemmMR {
						mr := min(gemmMR, mc-ir)
						ap := &w.ap[ir*kc]
						t := &w.tile
						if j.ctrans {
							// Tile rows are columns of C: go through the
							// scratch tile, transposing on the way in and out.
							off := (jc+jr)*j.ldc + ic + ir
							if beta != 0 {
								for c := 0; c < nr; c++ {
									for r, v := range j.c[off+c*j.ldc : off+c*j.ldc+mr] {
										t[r*gemmNR+c] = v
									}
								}
							}
							if bs == gemmNR {
								kern(kc, ap, bp, &t[0], gemmNR, j.alpha, beta)
							} else {
								kernS(kc, ap, bp, &t[0], gemmNR, j.alpha, beta, bs)
							}
							for c := 0; c < nr; c++ {
								row := j.c[off+c*j.ldc : off+c*j.ldc+mr]
								for r := range row {
									row[r] = t[r*gemmNR+c]
								}
							}
							continue
						}
						off := (ic+ir)*j.ldc + jc + jr
						if mr == gemmMR && nr == gemmNR {
							if bs == gemmNR {
								kern(kc, ap, bp, &j.c[off], j.ldc, j.alpha, beta)
							} else {
								kernS(kc, ap, bp, &j.c[off], j.ldc, j.alpha, beta, bs)
							}
							continue
						}
						// Partial tile: run the same kernel on the scratch tile.
						if beta != 0 {
							for r := 0; r < mr; r++ {
								copy(t[r*gemmNR:r*gemmNR+nr], j.c[off+r*j.ldc:off+r*j.ldc+nr])
							}
						}
						if bs == gemmNR {
							kern(kc, ap, bp, &t[0], gemmNR, j.alpha, beta)
						} else {
							kernS(kc, ap, bp, &t[0], gemmNR, j.alpha, beta, bs)
						}
						for r := 0; r < mr; r++ {
							copy(j.c[off+r*j.ldc:off+r*j.ldc+nr], t[r*gemmNR:r*gemmNR+nr])
						}
					}
				}
			}
		}
	}
}

// gemmZeros stands in for the rows of A past the edge of the last panel.
var gemmZeros [gemmKC]float32

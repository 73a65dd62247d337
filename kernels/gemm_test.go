package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmVariant is one way Sgemm can run on this build: a micro-kernel, with
// or without the assembly packing routines.
type gemmVariant struct {
	name string
	fn   func(k int, a, b, c *float32, ldc int, alpha, beta float32)
	fnS  func(k int, a, b, c *float32, ldc int, alpha, beta float32, ldb int)
	dot  func(k int, a []float32, lda int, x []float32, out *[4]float32)
	asm  bool
}

// gemmKernels lists the micro-kernels Sgemm can run with; tests run each.
// On amd64 with AVX2+FMA that is the assembly kernel (with assembly packing)
// and the portable Go kernel (with portable packing).
func gemmKernels(t testing.TB) []gemmVariant {
	ks := []gemmVariant{{"go", gemmKernelGo, gemmKernelStridedGo, gemmDot4Go, false}}
	if gemmHaveAsm {
		ks = append(ks, gemmVariant{"asm", gemmKernelAsm, gemmKernelStridedAsm, gemmDot4Asm, true})
	} else {
		t.Log("no assembly micro-kernel on this build/CPU: testing the Go kernel only")
	}
	return ks
}

// withKernel runs f with Sgemm using variant v.
func withKernel(v gemmVariant, f func()) {
	savedK, savedS, savedD, savedP := gemmKernel, gemmKernelStrided, gemmDot4, gemmAsmPack
	gemmKernel, gemmKernelStrided, gemmDot4, gemmAsmPack = v.fn, v.fnS, v.dot, v.asm
	defer func() {
		gemmKernel, gemmKernelStrided, gemmDot4, gemmAsmPack = savedK, savedS, savedD, savedP
	}()
	f()
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    float32
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g",
		g.transA, g.transB, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.alpha, g.beta)
}

// newGemmCase fills in leading dimensions: the minimum plus pad.
func newGemmCase(transA, transB bool, m, n, k, pad int, alpha, beta float32) gemmCase {
	g := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	g.lda, g.ldb, g.ldc = k+pad, n+pad, n+pad
	if transA {
		g.lda = m + pad
	}
	if transB {
		g.ldb = k + pad
	}
	return g
}

func (g gemmCase) sizes() (la, lb, lc int) {
	ar, br := g.m, g.k
	if g.transA {
		ar = g.k
	}
	if g.transB {
		br = g.n
	}
	return ar * g.lda, br * g.ldb, g.m * g.ldc
}

const gemmSentinel = 12345.5

// inputs returns A, B and the initial C: random values in [-1, 1), NaN in C
// when beta = 0 (it must not be read), and a sentinel in the padding columns
// of C (it must not be written).
func (g gemmCase) inputs(r *rand.Rand) (a, b, c []float32) {
	la, lb, lc := g.sizes()
	a, b, c = randSlice(r, la), randSlice(r, lb), randSlice(r, lc)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc; j++ {
			if j >= g.n {
				c[i*g.ldc+j] = gemmSentinel
			} else if g.beta == 0 {
				c[i*g.ldc+j] = float32(math.NaN())
			}
		}
	}
	return a, b, c
}

// check compares got against SgemmRef. Both compute each element as a float32
// dot product of length k followed by the alpha/beta update; the standard
// bound for a recursively (or blockwise) summed dot product is
// |err| ≤ γ_k·Σ_p|a_ip·b_pj| with γ_k ≈ k·u, u = 2⁻²⁴ (FMA only tightens
// it), so two such results differ by at most about 2k·u·Σ|ab|, plus a few u
// for the scaling by alpha and beta. The tolerance is that worst-case bound,
// (2k+4)·u·(|alpha|·Σ|ab| + |beta|·|c₀|), computed per element; it is
// reached only by adversarial data, so a genuine indexing or packing error
// (an O(1) relative change) cannot hide under it.
func (g gemmCase) check(t *testing.T, a, b, c0, got []float32) {
	t.Helper()
	want := append([]float32(nil), c0...)
	SgemmRef(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, want, g.ldc)
	const u = 1.0 / (1 << 24)
	bad := 0
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc; j++ {
			idx := i*g.ldc + j
			if j >= g.n {
				if got[idx] != gemmSentinel {
					t.Fatalf("%v: C[%d][%d] in the ldc padding was overwritten: %g", g, i, j, got[idx])
				}
				continue
			}
			var s float64
			for p := 0; p < g.k; p++ {
				var av, bv float32
				if g.transA {
					av = a[p*g.lda+i]
				} else {
					av = a[i*g.lda+p]
				}
				if g.transB {
					bv = b[j*g.ldb+p]
				} else {
					bv = b[p*g.ldb+j]
				}
				s += math.Abs(float64(av) * float64(bv))
			}
			scale := math.Abs(float64(g.alpha)) * s
			if g.beta != 0 {
				scale += math.Abs(float64(g.beta) * float64(c0[idx]))
			}
			tol := float64(2*g.k+4) * u * scale
			diff := math.Abs(float64(got[idx]) - float64(want[idx]))
			if !(diff <= tol) { // also catches NaN
				if bad < 5 {
					t.Errorf("%v: C[%d][%d] = %g, want %g (diff %g > tol %g)", g, i, j, got[idx], want[idx], diff, tol)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d elements out of tolerance", g, bad)
	}
}

func (g gemmCase) run(t *testing.T, team *Team, r *rand.Rand) {
	t.Helper()
	a, b, c0 := g.inputs(r)
	c := append([]float32(nil), c0...)
	Sgemm(team, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, c, g.ldc)
	g.check(t, a, b, c0, c)
}

var gemmDims = []int{1, 2, 3, 5, 7, 13, 17, 31, 33, 65, 100, 129}

func TestSgemmMatchesRef(t *testing.T) {
	team := NewTeam(2)
	defer team.Close()
	betas := []float32{0, 1, 0.5}
	for _, kern := range gemmKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(kern, func() {
				r := rand.New(rand.NewPCG(1, 2))
				caseNo := 0
				for _, transA := range []bool{false, true} {
					for _, transB := range []bool{false, true} {
						for _, m := range gemmDims {
							for _, n := range gemmDims {
								for _, k := range []int{1, 5, 31, 300} {
									caseNo++
									g := newGemmCase(transA, transB, m, n, k, caseNo%4, -1.5, betas[caseNo%3])
									g.run(t, team, r)
								}
							}
						}
					}
				}
			})
		})
	}
}

// TestSgemmBlocking covers shapes that cross every cache-block boundary: more
// than one MC block of rows, KC block of k and NC block of columns.
func TestSgemmBlocking(t *testing.T) {
	team := NewTeam(3)
	defer team.Close()
	shapes := [][3]int{
		{2*gemmMC + 7, 45, 2*gemmKC + 3},
		{13, gemmNC + 37, 21},
		{gemmMC + 1, gemmNC + 1, 9},
		{3, 5, 20000},
		{1, 17, 2*gemmKC + 1},
		{300, 1, 70},
	}
	for _, kern := range gemmKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(kern, func() {
				r := rand.New(rand.NewPCG(3, 4))
				for i, s := range shapes {
					for tr := 0; tr < 4; tr++ {
						g := newGemmCase(tr&1 != 0, tr&2 != 0, s[0], s[1], s[2], (i+tr)%3, 0.75, []float32{0, 0.5, 1}[(i+tr)%3])
						g.run(t, team, r)
					}
				}
			})
		})
	}
}

func TestSgemmKZeroAndNilTeam(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// k = 0: C = beta·C (beta = 0: zeros, even over NaN).
	for _, beta := range []float32{0, 0.5} {
		g := newGemmCase(false, false, 4, 5, 0, 2, 2, beta)
		a, b, c0 := g.inputs(r)
		c := append([]float32(nil), c0...)
		Sgemm(NewTeam(1), false, false, g.m, g.n, 0, g.alpha, a, g.lda, b, g.ldb, g.beta, c, g.ldc)
		g.check(t, a, b, c0, c)
	}
	// A nil team runs serially.
	newGemmCase(true, false, 40, 50, 60, 1, 1, 0.5).run(t, nil, r)
}

// TestSgemmMicroKernels checks the micro-kernels against each other directly,
// for every k remainder of the assembly's unrolled loop, with ldc > NR.
func TestSgemmMicroKernels(t *testing.T) {
	if !gemmHaveAsm {
		t.Skip("no assembly micro-kernel on this build/CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	const ldc = gemmNR + 3
	for k := 1; k <= 13; k++ {
		for _, beta := range []float32{0, 1, -0.25} {
			a, b := randSlice(r, k*gemmMR), randSlice(r, k*gemmNR)
			c0 := randSlice(r, gemmMR*ldc)
			c1, c2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
			gemmKernelGo(k, &a[0], &b[0], &c1[0], ldc, 1.25, beta)
			gemmKernelAsm(k, &a[0], &b[0], &c2[0], ldc, 1.25, beta)
			for i := range c0 {
				if i%ldc >= gemmNR {
					if c1[i] != c0[i] || c2[i] != c0[i] {
						t.Fatalf("k=%d beta=%g: wrote outside the tile at %d", k, beta, i)
					}
					continue
				}
				if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-5*float64(k+1) {
					t.Fatalf("k=%d beta=%g: element %d: go %g, asm %g", k, beta, i, c1[i], c2[i])
				}
			}
			// The strided kernels read B in place and must match the packed
			// ones bit for bit.
			const ldb = gemmNR + 5
			bs := make([]float32, (k-1)*ldb+gemmNR)
			for p := 0; p < k; p++ {
				copy(bs[p*ldb:p*ldb+gemmNR], b[p*gemmNR:])
			}
			for _, kk := range []struct {
				name string
				fn   func(k int, a, b, c *float32, ldc int, alpha, beta float32)
				fnS  func(k int, a, b, c *float32, ldc int, alpha, beta float32, ldb int)
			}{{"go", gemmKernelGo, gemmKernelStridedGo}, {"asm", gemmKernelAsm, gemmKernelStridedAsm}} {
				c1, c2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
				kk.fn(k, &a[0], &b[0], &c1[0], ldc, 1.25, beta)
				kk.fnS(k, &a[0], &bs[0], &c2[0], ldc, 1.25, beta, ldb)
				for i := range c1 {
					if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
						t.Fatalf("%s k=%d beta=%g: element %d: packed %g, strided %g", kk.name, k, beta, i, c1[i], c2[i])
					}
				}
			}
		}
	}
}

// TestSgemmThreadsBitwise checks that results do not depend on the number of
// workers, bit for bit, for row-split and column-split shapes.
func TestSgemmThreadsBitwise(t *testing.T) {
	shapes := []gemmCase{
		newGemmCase(false, false, 100, 37, 300, 1, 1, 0),
		newGemmCase(true, false, 33, 4100, 65, 0, 0.5, 1),
		newGemmCase(false, true, 500, 20, 70, 3, 1, 0.5),
		newGemmCase(true, true, 16, 16, 20000, 0, 1, 0),
		newGemmCase(false, false, 32, 5000, 64, 0, 1, 0),
		newGemmCase(false, false, 301, 289, 513, 2, -1, 0.5),
		// narrow C, computed as Cᵀ = op(B)ᵀ·op(A)ᵀ
		newGemmCase(false, true, 300, 7, 500, 1, 1, 0.5),
		newGemmCase(true, false, 2000, 1, 300, 0, 1, 0),
		newGemmCase(false, false, 1, 3000, 300, 0, 1, 1),
		// rows per worker ≤ gemmSupRows with 3 threads only: unpacked B
		// must give the same bits as packed B
		newGemmCase(false, false, 30, 500, 300, 1, 1, 0.5),
		// matrix-vector products as dot products
		newGemmCase(false, true, 999, 1, 1001, 0, 1, 0.5),
		newGemmCase(false, true, 1, 998, 1003, 1, 2, 0),
	}
	teams := []*Team{NewTeam(1), NewTeam(2), NewTeam(3)}
	defer func() {
		for _, tm := range teams {
			tm.Close()
		}
	}()
	for _, kern := range gemmKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(kern, func() {
				r := rand.New(rand.NewPCG(9, 10))
				for _, g := range shapes {
					a, b, c0 := g.inputs(r)
					var first []float32
					for ti, team := range teams {
						c := append([]float32(nil), c0...)
						Sgemm(team, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, c, g.ldc)
						if ti == 0 {
							g.check(t, a, b, c0, c)
							first = c
							continue
						}
						for i := range c {
							if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
								t.Fatalf("%v: %d threads: C[%d] = %g, 1 thread gave %g", g, team.Threads(), i, c[i], first[i])
							}
						}
					}
				}
			})
		})
	}
}

func TestSgemmZeroAllocs(t *testing.T) {
	for _, threads := range []int{1, 2} {
		team := NewTeam(threads)
		r := rand.New(rand.NewPCG(11, 12))
		for _, g := range []gemmCase{
			newGemmCase(false, false, 200, 300, 400, 0, 1, 0),
			newGemmCase(true, true, 7, 5000, 33, 1, 1, 1),
			newGemmCase(false, false, 3, 3, 3, 0, 1, 0),
			newGemmCase(false, false, 1000, 3, 200, 0, 1, 0.5), // Cᵀ
			newGemmCase(false, false, 5, 2000, 300, 2, 1, 0),   // B unpacked
			newGemmCase(false, true, 1, 3000, 700, 2, 1, 0),    // dot products
		} {
			a, b, c := g.inputs(r)
			call := func() {
				Sgemm(team, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, c, g.ldc)
			}
			call() // grow the scratch
			if n := testing.AllocsPerRun(20, call); n != 0 {
				t.Errorf("%d threads, %v: %v allocations per call, want 0", threads, g, n)
			}
		}
		team.Close()
	}
}

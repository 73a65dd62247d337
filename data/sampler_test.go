package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// indexField has value i at flat index i: every value distinct.
func indexField(dim, n int) *Field {
	f := &Field{Dim: dim, N: n, Data: make([]float32, pow(n, dim))}
	for i := range f.Data {
		f.Data[i] = float32(i)
	}
	return f
}

// naiveCrop is the definition of Crop written the slow way: output index j
// reads crop coordinate c with c[perm[a]] = j[a], or size-1-j[a] if axis a is
// flipped, at field position (origin + c) mod N.
func naiveCrop(f *Field, size int, origin []int, sym int) []float32 {
	perm, flip := symmetry(f.Dim, sym)
	out := make([]float32, pow(size, f.Dim))
	for k := range out {
		var j, c [3]int
		r := k
		for a := f.Dim - 1; a >= 0; a-- {
			j[a] = r % size
			r /= size
		}
		for a := range f.Dim {
			if flip[a] {
				c[perm[a]] = size - 1 - j[a]
			} else {
				c[perm[a]] = j[a]
			}
		}
		idx := 0
		for a := range f.Dim {
			idx = idx*f.N + ((origin[a]+c[a])%f.N+f.N)%f.N
		}
		out[k] = f.Data[idx]
	}
	return out
}

func TestCropIdentityIsTheSlice(t *testing.T) {
	f := indexField(2, 8)
	dst := make([]float32, 16)
	f.Crop(dst, 4, []int{2, 3}, 0)
	for i := range 4 {
		for j := range 4 {
			if want := f.Data[(2+i)*8+3+j]; dst[i*4+j] != want {
				t.Fatalf("(%d,%d): got %v want %v", i, j, dst[i*4+j], want)
			}
		}
	}
	g := indexField(3, 6)
	dst = make([]float32, 27)
	g.Crop(dst, 3, []int{1, 2, 3}, 0)
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				if want := g.Data[((1+i)*6+2+j)*6+3+k]; dst[(i*3+j)*3+k] != want {
					t.Fatalf("(%d,%d,%d): got %v want %v", i, j, k, dst[(i*3+j)*3+k], want)
				}
			}
		}
	}
}

func TestCropWrapsByHand(t *testing.T) {
	// 4×4 field holding 0..15; the 2×2 block at (3,3) wraps to rows 3,0 and
	// columns 3,0: [[15,12],[3,0]].
	f := indexField(2, 4)
	dst := make([]float32, 4)
	for _, c := range []struct {
		sym  int
		want []float32
	}{
		{0, []float32{15, 12, 3, 0}},
		{1, []float32{3, 0, 15, 12}}, // rows reversed
		{2, []float32{12, 15, 0, 3}}, // columns reversed
		{4, []float32{15, 3, 12, 0}}, // transpose
		{7, []float32{0, 12, 3, 15}}, // transpose then both reversed
	} {
		f.Crop(dst, 2, []int{3, 3}, c.sym)
		if !slices.Equal(dst, c.want) {
			t.Errorf("sym %d: got %v want %v", c.sym, dst, c.want)
		}
	}
	// Negative and out-of-range origins are taken modulo N.
	f.Crop(dst, 2, []int{-1, 7}, 0)
	if !slices.Equal(dst, []float32{15, 12, 3, 0}) {
		t.Errorf("origin (-1,7): got %v", dst)
	}
}

func TestSymmetryGroup(t *testing.T) {
	for _, c := range []struct{ dim, n, size int }{{2, 7, 5}, {3, 6, 4}} {
		f := indexField(c.dim, c.n)
		g := SymmetryCount(c.dim)
		origin := []int{5, 3, 4}[:c.dim]
		ident := naiveCrop(f, c.size, origin, 0)
		var sumIdent float64
		for _, v := range ident {
			sumIdent += float64(v)
		}
		seen := map[string]int{}
		for s := range g {
			dst := make([]float32, len(ident))
			f.Crop(dst, c.size, origin, s)
			if want := naiveCrop(f, c.size, origin, s); !slices.Equal(dst, want) {
				t.Fatalf("dim %d sym %d: Crop differs from the definition", c.dim, s)
			}
			key := fmt.Sprint(dst)
			if p, dup := seen[key]; dup {
				t.Fatalf("dim %d: elements %d and %d give the same crop", c.dim, p, s)
			}
			seen[key] = s
			sorted := slices.Clone(dst)
			slices.Sort(sorted)
			want := slices.Clone(ident)
			slices.Sort(want)
			if !slices.Equal(sorted, want) {
				t.Fatalf("dim %d sym %d: not a permutation of the block", c.dim, s)
			}
			var sum float64
			for _, v := range dst {
				sum += float64(v)
			}
			if sum != sumIdent {
				t.Fatalf("dim %d sym %d: sum %v, identity %v", c.dim, s, sum, sumIdent)
			}
		}
		if len(seen) != g {
			t.Fatalf("dim %d: %d distinct elements, want %d", c.dim, len(seen), g)
		}
	}
}

func TestSymmetryClosure(t *testing.T) {
	// Applying s1 then s2 to a whole 3³ cube equals applying one element.
	for _, dim := range []int{2, 3} {
		f := indexField(dim, 3)
		g := SymmetryCount(dim)
		zero := make([]int, dim)
		results := map[string]bool{}
		for s := range g {
			dst := make([]float32, len(f.Data))
			f.Crop(dst, 3, zero, s)
			results[fmt.Sprint(dst)] = true
		}
		for s1 := range g {
			mid := &Field{Dim: dim, N: 3, Data: make([]float32, len(f.Data))}
			f.Crop(mid.Data, 3, zero, s1)
			for s2 := range g {
				dst := make([]float32, len(f.Data))
				mid.Crop(dst, 3, zero, s2)
				if !results[fmt.Sprint(dst)] {
					t.Fatalf("dim %d: %d then %d is not in the group", dim, s1, s2)
				}
			}
		}
	}
}

func TestRandomCrop(t *testing.T) {
	f := indexField(3, 16)
	dst := make([]float32, 8*8*8)
	pcg := rand.NewPCG(1, 2)
	rng := rand.New(pcg)
	if a := testing.AllocsPerRun(100, func() { f.RandomCrop(dst, 8, rng) }); a != 0 {
		t.Errorf("RandomCrop allocates %v times per call, want 0", a)
	}
	// A restored PCG state reproduces the crops.
	state, err := pcg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	first := make([]float32, len(dst))
	f.RandomCrop(first, 8, rng)
	pcg2 := rand.NewPCG(0, 0)
	if err := pcg2.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	f.RandomCrop(dst, 8, rand.New(pcg2))
	if !slices.Equal(dst, first) {
		t.Error("restored stream gives a different crop")
	}
	// The draw order is documented: origins then sym.
	r1, r2 := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	f.RandomCrop(dst, 8, r1)
	o := []int{r2.IntN(16), r2.IntN(16), r2.IntN(16)}
	want := naiveCrop(f, 8, o, r2.IntN(48))
	if !slices.Equal(dst, want) {
		t.Error("RandomCrop does not draw origin then sym as documented")
	}
}

func BenchmarkRandomCrop3D(b *testing.B) {
	f := indexField(3, 128)
	dst := make([]float32, 64*64*64)
	rng := rand.New(rand.NewPCG(1, 2))
	b.SetBytes(int64(4 * len(dst)))
	for b.Loop() {
		f.RandomCrop(dst, 64, rng)
	}
}

// TestCropWrapEqualsTiledCrop: a crop that wraps the periodic boundary equals
// the same crop, without wrap, of the field tiled twice along every axis, for
// every symmetry element.
func TestCropWrapEqualsTiledCrop(t *testing.T) {
	for _, dim := range []int{2, 3} {
		n, size := 6, 4
		f := indexField(dim, n)
		tiled := &Field{Dim: dim, N: 2 * n, Data: make([]float32, pow(2*n, dim))}
		for i := range tiled.Data {
			idx, r := 0, i
			var c [3]int
			for a := dim - 1; a >= 0; a-- {
				c[a], r = r%(2*n), r/(2*n)
			}
			for a := range dim {
				idx = idx*n + c[a]%n
			}
			tiled.Data[i] = f.Data[idx]
		}
		origin := []int{5, 3, 4}[:dim]
		a, b := make([]float32, pow(size, dim)), make([]float32, pow(size, dim))
		for sym := range SymmetryCount(dim) {
			f.Crop(a, size, origin, sym)
			tiled.Crop(b, size, origin, sym)
			if !slices.Equal(a, b) {
				t.Fatalf("%dD sym %d: wrapped crop %v, tiled crop %v", dim, sym, a, b)
			}
		}
	}
}

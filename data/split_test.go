package data

import (
	"math/rand/v2"
	"testing"
)

// TestSlabCropsNeverLeak: on an index field (every value its own flat index,
// so a value names its row), every training crop of many random draws holds
// only training rows, and likewise validation and test.
func TestSlabCropsNeverLeak(t *testing.T) {
	for _, dim := range []int{2, 3} {
		n, size := 32, 8
		f := indexField(dim, n)
		sp, err := SplitSlabs(n, size, 0.25, 0.25)
		if err != nil {
			t.Fatal(err)
		}
		rowsPer := pow(n, dim-1)
		rng := rand.New(rand.NewPCG(1, 1))
		dst := make([]float32, pow(size, dim))
		for _, s := range []Slab{sp.Train, sp.Validation, sp.Test} {
			seen := map[int]bool{}
			for range 400 {
				f.RandomCropIn(dst, size, s, rng)
				for _, v := range dst {
					row := int(v) / rowsPer
					if row < s.Lo || row >= s.Hi {
						t.Fatalf("%dD: crop in slab %v holds row %d", dim, s, row)
					}
					seen[row] = true
				}
			}
			if len(seen) != s.Hi-s.Lo {
				t.Fatalf("%dD: crops of slab %v cover %d rows, want all %d", dim, s, len(seen), s.Hi-s.Lo)
			}
		}
	}
	if _, err := SplitSlabs(32, 16, 0.25, 0.25); err == nil {
		t.Fatal("8-row slabs accepted for 16-pixel crops")
	}
}

// TestCropStream: a stream depends only on (seed, rank, step).
func TestCropStream(t *testing.T) {
	draw := func(seed uint64, rank, step int) [4]uint64 {
		r := CropStream(seed, rank, step)
		return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	if draw(7, 1, 100) != draw(7, 1, 100) {
		t.Fatal("same (seed, rank, step), different streams")
	}
	seen := map[[4]uint64]bool{}
	for _, c := range [][3]int{{7, 0, 0}, {7, 1, 0}, {7, 0, 1}, {8, 0, 0}, {7, 1, 1}, {0, 0, 0}} {
		d := draw(uint64(c[0]), c[1], c[2])
		if seen[d] {
			t.Fatalf("%v repeats another stream", c)
		}
		seen[d] = true
	}
}

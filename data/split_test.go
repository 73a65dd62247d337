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

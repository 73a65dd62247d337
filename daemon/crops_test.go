package daemon

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"

	"github.com/cosmogan/cosmogan/data"
)

// TestCutCropsFieldAfterField writes fields whose values tell them apart
// (field k a checkerboard of 1 and 1 + k): every crop must hold the values
// of field i / perField, divided by that field's mean and transformed.
func TestCutCropsFieldAfterField(t *testing.T) {
	dir := t.TempDir()
	const n, fields, per, size = 16, 3, 4, 8
	for k := range fields {
		v := make([]float32, n*n)
		for i := range v {
			v[i] = 1
			if (i/n+i%n)%2 == 1 {
				v[i] = float32(1 + k)
			}
		}
		if err := data.WriteNPY(filepath.Join(dir, fmt.Sprintf("f%d.npy", k)), tensor.New(tensor.WithShape(n, n), tensor.WithBacking(v))); err != nil {
			t.Fatal(err)
		}
	}
	crops, files, err := CutCrops(filepath.Join(dir, "f*.npy"), 2, size, per, 1, data.Eq1)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != fields || len(crops) != fields*per*size*size {
		t.Fatalf("%d files, %d values, want %d files, %d values", len(files), len(crops), fields, fields*per*size*size)
	}
	lin := make([]float32, len(crops))
	data.Eq1.Inverse(lin, crops)
	for i := range fields * per {
		k := i / per
		mean := 1 + float64(k)/2
		for _, v := range lin[i*size*size : (i+1)*size*size] {
			if math.Abs(float64(v)-1/mean) > 1e-4 && math.Abs(float64(v)-float64(1+k)/mean) > 1e-4 {
				t.Fatalf("crop %d holds %g, not a value of field %d in units of its mean", i, v, k)
			}
		}
	}
	var ce *ConfigError
	if _, _, err := CutCrops(filepath.Join(dir, "none*.npy"), 2, size, per, 1, data.Eq1); !errors.As(err, &ce) {
		t.Errorf("no match: error %v, want a ConfigError", err)
	}
	if _, _, err := CutCrops(filepath.Join(dir, "f*.npy"), 2, 2*n, per, 1, data.Eq1); !errors.Is(err, data.ErrBadInput) {
		t.Errorf("crops larger than the fields: error %v, want ErrBadInput", err)
	}
}

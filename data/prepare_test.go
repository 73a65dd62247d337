package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestPrepareContract: the raw NGP counts of a snapshot, axis 0 the x
// coordinate, cell floor(x / BoxSize · N), with the input's SHA-256 in the
// sidecar; the same for any chunk size.
func TestPrepareContract(t *testing.T) {
	dir := t.TempDir()
	s := sampleSpec(2, 4, binary.BigEndian) // type 1: (0.5,9.5,3.25) (7,7,7) (10,0,2.5), box 10
	in := filepath.Join(dir, "snap")
	writeSpec(t, in, s)
	snap, err := OpenSnapshot(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "field.npy")
	for _, chunk := range []int{1, 2, 100} {
		f, err := PrepareFile(out, snap, PrepareOptions{Grid: 4, Scheme: NGP, Stride: 1, Chunk: chunk})
		if err != nil {
			t.Fatal(err)
		}
		// Cells (box 10, 4 cells of 2.5): (0,3,1), (2,2,2), (0 by wrap of 10,0,1).
		want := map[int]float32{(0*4+3)*4 + 1: 1, (2*4+2)*4 + 2: 1, (0*4+0)*4 + 1: 1}
		for i, v := range f.Data {
			if v != want[i] {
				t.Fatalf("chunk %d: cell %d = %v, want %v", chunk, i, v, want[i])
			}
		}
	}
	got, err := ReadNPY(out)
	if err != nil || got.Shape()[0] != 4 || len(got.Shape()) != 3 {
		t.Fatalf("read back: %v %v", got, err)
	}
	var meta PrepareMeta
	b, _ := os.ReadFile(MetaPath(out))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(s.bytes())
	if len(meta.Inputs) != 1 || meta.Inputs[0].SHA256 != hex.EncodeToString(sum[:]) || meta.Box != 10 || meta.Grid != 4 || meta.Assign != "ngp" {
		t.Fatalf("meta %+v", meta)
	}
}

// TestPrepareRejects: bad densities, strides and schemes end in
// ErrBadInput with nothing written.
func TestPrepareRejects(t *testing.T) {
	dir := t.TempDir()
	nan := filepath.Join(dir, "nan.npy")
	f := &Field{Dim: 2, N: 4, Data: make([]float32, 16)}
	f.Data[5] = -1
	if err := WriteArray(nan, f.Shape(), f.Data, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.npy")
	if _, err := FinishFile(out, nan, PrepareOptions{Grid: 4, Stride: 1}); !errors.Is(err, ErrBadInput) {
		t.Fatalf("negative density: %v", err)
	}
	if _, err := FinishFile(out, nan, PrepareOptions{Grid: 4, Stride: 3}); !errors.Is(err, ErrBadInput) {
		t.Fatalf("stride 3 of 4: %v", err)
	}
	p := filepath.Join(dir, "p.npy")
	WriteArray(p, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}, nil)
	np, err := OpenParticlesNPY(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareFile(out, np, PrepareOptions{Grid: 4, Scheme: DTFE, Stride: 1}); !errors.Is(err, ErrBadInput) {
		t.Fatalf("3D dtfe: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output written after failures: %v", err)
	}
}

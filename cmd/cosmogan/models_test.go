package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/cosmogan/cosmogan/data"
)

// TestShippedModelsLoad runs the shipped 2D model as its README shows:
// generate from models/2d/gan.ckpt, then reconstruct those samples with
// models/2d/ae.ckpt. A change to the layers or the checkpoint format that
// the shipped files no longer fit fails here, not in a user's hands.
func TestShippedModelsLoad(t *testing.T) {
	dir := t.TempDir()
	gen, rec := filepath.Join(dir, "maps.npy"), filepath.Join(dir, "rec.npy")
	for _, args := range [][]string{
		{"generate", "--checkpoint", "../../models/2d/gan.ckpt", "--n", "3", "--out", gen},
		{"reconstruct", "--checkpoint", "../../models/2d/ae.ckpt", "--in", gen, "--space", "transformed", "--out", rec},
	} {
		var stdout, stderr bytes.Buffer
		if st := mainStatus(args, &stdout, &stderr); st != 0 {
			t.Fatalf("cosmogan %v: status %d: %s", args, st, stderr.String())
		}
	}
	out, err := data.ReadNPY(rec)
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Shape(); len(s) != 3 || s[0] != 3 || s[1] != 64 || s[2] != 64 {
		t.Errorf("reconstructed shape %v, want (3, 64, 64)", s)
	}
}

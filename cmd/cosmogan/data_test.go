package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gadget1 is a minimal little-endian SnapFormat-1 file: header, a POS block
// of the given float32 positions (all type 1), box 10, then VEL and ID.
// It also returns the offset where the POS block ends.
func gadget1(pos []float32) ([]byte, int) {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	h := make([]byte, 256)
	n := uint32(len(pos) / 3)
	binary.LittleEndian.PutUint32(h[4:], n)
	binary.LittleEndian.PutUint32(h[96+4:], n)
	binary.LittleEndian.PutUint32(h[124:], 1)
	binary.LittleEndian.PutUint64(h[128:], math.Float64bits(10))
	var posEnd int
	for i, block := range []any{h, pos, pos, make([]uint32, n)} { // HEAD, POS, VEL, ID
		size := uint32(binary.Size(block))
		w(size)
		w(block)
		w(size)
		if i == 1 {
			posEnd = b.Len()
		}
	}
	return b.Bytes(), posEnd
}

// TestDataCommands: prepare and simulate write their outputs; user mistakes
// end with status 2, a message naming the file and what was expected, and
// no output.
func TestDataCommands(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap")
	good, posEnd := gadget1([]float32{1, 1, 1, 9, 9, 9, 5, 5, 5})
	os.WriteFile(snap, good, 0o644)
	trunc := filepath.Join(dir, "trunc")
	os.WriteFile(trunc, good[:len(good)-10], 0o644)
	noVel := filepath.Join(dir, "novel")
	os.WriteFile(noVel, good[:posEnd], 0o644)
	out := filepath.Join(dir, "f.npy")
	hdf5Bad := filepath.Join("..", "..", "data", "testdata", "hdf5", "bad_nan.hdf5")
	scalar := filepath.Join(dir, "scalar.npy")
	writeNPY64(t, scalar, "<f4", "()", make([]byte, 4))
	cases := []struct {
		args   []string
		status int
		msg    string
	}{
		{[]string{"prepare", "--snapshot", trunc, "--grid", "4", "--out", out}, 2, "trunc: offset"},
		{[]string{"prepare", "--snapshot", noVel, "--grid", "4", "--out", out}, 2, fmt.Sprintf("novel: offset %d: the file ends without a VEL block", posEnd)},
		{[]string{"prepare", "--snapshot", snap, "--grid", "4", "--stride", "3", "--out", out}, 2, "not divisible by stride 3"},
		{[]string{"prepare", "--snapshot", snap, "--grid", "4", "--assign", "tsc", "--out", out}, 2, "tsc"},
		{[]string{"prepare", "--grid", "4", "--out", out}, 2, "exactly one of"},
		{[]string{"prepare", "--snapshot", snap, "--types", "8", "--out", out}, 2, "--types"},
		{[]string{"prepare", "--snapshot", snap, "--types", "6", "--out", out}, 2, "particle types 0b1000000, want bits 0..5"},
		{[]string{"prepare", "--snapshot", hdf5Bad, "--out", out}, 2, hdf5Bad + ": /PartType1/Coordinates: particle 7 of type 1 has coordinate NaN"},
		{[]string{"simulate", "--dim", "4", "--out", filepath.Join(dir, "s")}, 2, "dim 4"},
		{[]string{"prepare", "--field", scalar, "--out", out}, 2, "scalar.npy: field: shape () (0-dimensional), want (N,N) or (N,N,N)"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		if got := mainStatus(c.args, &stdout, &stderr); got != c.status || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", c.args, got, stderr.String(), c.status, c.msg)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v left %s behind", c.args, out)
		}
	}
	var stderr bytes.Buffer
	if st := mainStatus([]string{"prepare", "--snapshot", snap, "--grid", "4", "--transform", "eq2", "--smooth", "1", "--stride", "2", "--out", out}, &stderr, &stderr); st != 0 {
		t.Fatalf("prepare: status %d: %s", st, stderr.String())
	}
	swift := filepath.Join("..", "..", "data", "testdata", "hdf5", "snap_0001")
	if st := mainStatus([]string{"prepare", "--snapshot", swift, "--types", "1,6", "--grid", "4", "--out", filepath.Join(dir, "swift.npy")}, &stderr, &stderr); st != 0 {
		t.Fatalf("prepare of an HDF5 snapshot: status %d: %s", st, stderr.String())
	}
	sims := filepath.Join(dir, "sims")
	if st := mainStatus([]string{"simulate", "--dim", "2", "--particles", "16", "--steps", "3", "--n", "2", "--positions", "--out", sims}, &stderr, &stderr); st != 0 {
		t.Fatalf("simulate: status %d: %s", st, stderr.String())
	}
	for _, f := range []string{"f.meta.json", "swift.meta.json", "sims/meta.json", "sims/sim_0001_density.npy", "sims/sim_0001_positions.meta.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

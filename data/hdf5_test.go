package data

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The HDF5 snapshots of testdata/hdf5 are written by h5py in the
// conventions of GADGET-4 and SWIFT, with the NGP counts numpy computes for
// them (scripts/hdf5-fixtures.py).
var hdf5Dir = filepath.Join("testdata", "hdf5")

// TestHDF5SnapshotNGP: a two-file GADGET-4 set (given by its base name or
// its first file) and a SWIFT file (given with or without .hdf5) give, on
// an 8³ grid, exactly numpy's NGP counts of the same particles, for any
// chunk size.
func TestHDF5SnapshotNGP(t *testing.T) {
	for _, c := range []struct {
		path  string
		types uint8
		want  string
	}{
		{"snap_004", 1 << 1, "gadget4_types1_ngp8.npy"},
		{"snap_004.0.hdf5", 1 << 1, "gadget4_types1_ngp8.npy"},
		{"snap_004", 1<<0 | 1<<1, "gadget4_types01_ngp8.npy"},
		{"snap_0001.hdf5", 0, "swift_types1_ngp8.npy"},
		{"snap_0001", 1 << 1, "swift_types1_ngp8.npy"},
	} {
		p, err := OpenSnapshot(filepath.Join(hdf5Dir, c.path), c.types)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ReadNPY(filepath.Join(hdf5Dir, c.want))
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1, 100, 1 << 18} {
			f, err := Prepare(p, PrepareOptions{Grid: 8, Scheme: NGP, Stride: 1, Chunk: chunk})
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			if !slices.Equal(f.Data, want.Data().([]float32)) {
				t.Fatalf("%s types %b chunk %d: NGP counts differ from numpy's", c.path, c.types, chunk)
			}
		}
	}
}

// TestHDF5Headers: the header attributes of both conventions.
func TestHDF5Headers(t *testing.T) {
	g, err := OpenSnapshot(filepath.Join(hdf5Dir, "snap_004"), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := g.(*HDF5Snapshot)
	h := s.Header
	if h.Convention != "GADGET" || h.BoxSize != 50 || h.NumFiles != 2 || h.Redshift != 1 || h.Time != 0.5 || h.ScaleFactor != 0.5 ||
		!slices.Equal(h.NumPartTotal, []uint64{500, 1500, 0, 0, 0, 0}) || !slices.Equal(h.NumPartThisFile, []uint64{300, 700, 0, 0, 0, 0}) ||
		h.Units["UnitLength_in_cm"] != 3.085678e24 || s.Count() != 1500 || len(s.Inputs()) != 2 {
		t.Errorf("GADGET-4 header %+v, count %d, inputs %v", h, s.Count(), s.Inputs())
	}
	g, err = OpenSnapshot(filepath.Join(hdf5Dir, "snap_0001.hdf5"), 1<<1|1<<6)
	if err != nil {
		t.Fatal(err)
	}
	s = g.(*HDF5Snapshot)
	h = s.Header
	if h.Convention != "SWIFT" || h.BoxSize != 25 || h.Redshift != 0.25 || h.ScaleFactor != 0.8 || len(h.NumPartTotal) != 7 ||
		h.Units["Unit length in cgs (U_L)"] != 3.08567758e24 || s.Count() != 1600 {
		t.Errorf("SWIFT header %+v, count %d", h, s.Count())
	}
	if d := s.Describe(); !strings.Contains(d, "SWIFT conventions), z = 0.25, a = 0.8, length unit 3.08567758e+24 cm, types 1000010") {
		t.Errorf("describe: %s", d)
	}
}

// TestSnapshotFormatByContent: the format comes from the bytes, not the
// name: an HDF5 file without extension and a GADGET-2 file named .hdf5.
func TestSnapshotFormatByContent(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(hdf5Dir, "snap_0001.hdf5"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "snap"), b, 0o644)
	writeSpec(t, filepath.Join(dir, "gadget.hdf5"), sampleSpec(1, 4, binary.LittleEndian))
	if p, err := OpenSnapshot(filepath.Join(dir, "snap"), 0); err != nil || !strings.HasPrefix(p.Describe(), "HDF5") {
		t.Errorf("HDF5 bytes named snap: %v", err)
	}
	if p, err := OpenSnapshot(filepath.Join(dir, "gadget.hdf5"), 0); err != nil || !strings.HasPrefix(p.Describe(), "GADGET-2") {
		t.Errorf("GADGET-2 bytes named .hdf5: %v", err)
	}
}

// TestHDF5SnapshotBadInput: each kind of damage is an ErrBadInput naming
// the file, the object and what was expected.
func TestHDF5SnapshotBadInput(t *testing.T) {
	for _, c := range []struct {
		file  string
		types uint8
		want  string
	}{
		{"bad_noheader.hdf5", 0, `/: offset 96: no member "Header"`},
		{"bad_missing_type.hdf5", 0, `no member "PartType1" (or a soft or external link, which is not followed): want a group or dataset of that name (the header's NumPart_ThisFile[1] is 10)`},
		{"bad_shape.hdf5", 0, "/PartType1/Coordinates: dimensions [10 2] of 4-byte floats, want (10, 3) floats"},
		{"bad_filter.hdf5", 0, "/PartType1/Coordinates: offset"},
		{"bad_filter.hdf5", 0, "filter 32000 (lzf): want only deflate (gzip, 1) and shuffle (2)"},
		{"bad_highword.hdf5", 0, "NumPart_ThisFile summed over 1 file(s) is [0 10 0 0 0 0], but NumPart_Total is [0 4294967306 0 0 0 0]"},
		{"bad_nan.hdf5", 0, "/PartType1/Coordinates: particle 7 of type 1 has coordinate NaN, want finite"},
		{"bad_box.hdf5", 0, "/Header: BoxSize [10 10 20], want a positive finite side of a cubic box"},
		{"snap_004.1.hdf5", 0, "NumFilesPerSnapshot 2, but the name does not end in .0.hdf5"},
		{"snap_004", 1 << 7, "particle types 0b10000000 selected, but the snapshot has 6 types (0 to 5)"},
		{"nothing", 0, "no such file"},
	} {
		path := filepath.Join(hdf5Dir, c.file)
		p, err := OpenSnapshot(path, c.types)
		if err == nil {
			_, err = Prepare(p, PrepareOptions{Grid: 4, Scheme: NGP, Stride: 1})
		}
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrBadInput naming %s and %q", c.file, err, path, c.want)
		}
	}
}

package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzOpen: damaged files (cut short, bytes changed, lengths and addresses
// past the end, cycles) give an *Error, never a panic or a hang, and no
// more memory than the file justifies: its size, or 1032 times it for
// data that deflate expands. The seeds are the fixtures, whole and cut.
func FuzzOpen(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.h5"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(fuzzOne)
}

// fuzzNames are the objects each fuzzed file is read for.
var fuzzNames = []string{"contiguous", "gzip_shuffle_be_f8", "small_chunks", "across", "compact", "btree2", "btree2_gzip",
	"single_gzip", "rank1", "many/l150", "deep/er/group/x"}

func fuzzOne(t *testing.T, b []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	file, err := Open(bytes.NewReader(b), int64(len(b)), "fuzz")
	if err != nil {
		checkErr(t, err)
		return
	}
	for _, name := range fuzzNames {
		d, err := file.Dataset(name)
		if err == nil {
			err = d.Read(64, func([]byte) error { return nil })
		}
		checkErr(t, err)
	}
	_, err = file.Attr("attrs", "a77")
	checkErr(t, err)
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, 1100*uint64(len(b))+(4<<20); got > limit {
		t.Fatalf("allocated %d bytes reading a %d-byte file, want at most %d", got, len(b), limit)
	}
}

func checkErr(t *testing.T, err error) {
	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
}

// TestBTreeCycle: a v1 B-tree node whose child is the node itself (a cycle
// a damaged or crafted file can hold) is refused, not walked forever.
func TestBTreeCycle(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "earliest.h5"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(b), int64(len(b)), "cycle")
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Dataset("small_chunks") // a B-tree of two levels
	if err != nil {
		t.Fatal(err)
	}
	root := d.layout.addr
	// Signature, type, level, entries, two siblings; then key 0 (size,
	// mask, 3 offsets) and child 0.
	binary.LittleEndian.PutUint64(b[root+24+8+8*3:], root)
	f, _ = Open(bytes.NewReader(b), int64(len(b)), "cycle")
	if _, err := f.Dataset("small_chunks"); err == nil || !strings.Contains(err.Error(), "cycle: /small_chunks: offset") || !strings.Contains(err.Error(), "B-tree node") {
		t.Fatalf("a B-tree node that is its own child: %v", err)
	}
}

// TestRandomDamage runs FuzzOpen's checks on 2000 fixtures with one to four
// random bytes changed, from a fixed seed, so that every run of the suite
// (not only a fuzzing session) exercises the parser on damaged files; each
// must also be read in well under a second (the slowest here: ~10 ms).
func TestRandomDamage(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.h5"))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		p := paths[rng.IntN(len(paths))]
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		start := time.Now()
		fuzzOne(t, b)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s damaged: read in %v", p, d)
		}
	}
}

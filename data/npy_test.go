package data

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// npyBytes builds an .npy v1.0 file by the format spec: magic, version 1.0,
// little-endian uint16 header length, the dict padded with spaces and ended by
// '\n' so the data starts at a multiple of 64, then body.
func npyBytes(dict string, body []byte) []byte {
	pad := (64 - (10+len(dict)+1)%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	b = append(b, hdr...)
	return append(b, body...)
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range [][]int{{5}, {3, 4}, {2, 3, 4}, {1, 2, 1, 3}} {
		n := 1
		for _, s := range shape {
			n *= s
		}
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(i)*0.37 - 1.5
		}
		d[0] = float32(math.Inf(-1))
		path := filepath.Join(dir, "a.npy")
		if err := WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if hl := 10 + int(binary.LittleEndian.Uint16(raw[8:])); hl%64 != 0 || raw[hl-1] != '\n' {
			t.Fatalf("shape %v: data starts at %d, want a multiple of 64 after '\\n'", shape, hl)
		}
		if len(raw) != 10+int(binary.LittleEndian.Uint16(raw[8:]))+4*n {
			t.Fatalf("shape %v: file is %d bytes", shape, len(raw))
		}
		got, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Shape().Eq(tensor.Shape(shape)) {
			t.Fatalf("shape %v read back as %v", shape, got.Shape())
		}
		for i, v := range got.Data().([]float32) {
			if v != d[i] {
				t.Fatalf("shape %v element %d: got %v want %v", shape, i, v, d[i])
			}
		}
	}
}

func TestNPYHeaderAsNumPyWritesIt(t *testing.T) {
	// np.save(f, np.array([[1.5, -2, 0.25], [3, 1e-3, 600]])) writes this
	// header: 59 characters of dict, 58 spaces, '\n' = 118 = 0x76 bytes.
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
	want := []float64{1.5, -2, 0.25, 3, 1e-3, 600}
	var body []byte
	for _, v := range want {
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(v))
	}
	b := npyBytes(dict, body)
	if b[8] != 0x76 || b[9] != 0 || len(b) != 128+48 {
		t.Fatalf("test construction: header length %#x, total %d", b[8], len(b))
	}
	shape, d, err := DecodeNPY(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 2 || shape[0] != 2 || shape[1] != 3 {
		t.Fatalf("shape %v, want [2 3]", shape)
	}
	for i, v := range want {
		if d[i] != float32(v) {
			t.Errorf("element %d: got %v want %v", i, d[i], float32(v))
		}
	}

	// Big-endian float32, double-quoted keys, 1-tuple shape, keys reordered.
	body = nil
	for _, v := range []float32{-1, 2.5, 7} {
		body = binary.BigEndian.AppendUint32(body, math.Float32bits(v))
	}
	shape, d, err = DecodeNPY(bytes.NewReader(npyBytes(`{"shape": (3,), "fortran_order": False, "descr": ">f4"}`, body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 1 || shape[0] != 3 || d[0] != -1 || d[1] != 2.5 || d[2] != 7 {
		t.Fatalf("big-endian f4: shape %v data %v", shape, d)
	}

	// Version 2.0 header (4-byte length), big-endian float64, rank 0.
	dict = "{'descr': '>f8', 'fortran_order': False, 'shape': (), }"
	pad := (64 - (12+len(dict)+1)%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	b = []byte("\x93NUMPY\x02\x00")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(-0.125))
	shape, d, err = DecodeNPY(bytes.NewReader(b))
	if err != nil || len(shape) != 0 || len(d) != 1 || d[0] != -0.125 {
		t.Fatalf("v2.0 scalar: shape %v data %v err %v", shape, d, err)
	}
}

func TestNPYRejectsBadFiles(t *testing.T) {
	f4 := func(n int) []byte { return make([]byte, 4*n) }
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"magic", append([]byte("\x93NUMPZ\x01\x00\x00\x00"), f4(1)...), "bad magic"},
		{"empty", nil, "preamble"},
		{"version", []byte("\x93NUMPY\x04\x00\x10\x00"), "version 4.0"},
		{"dtype", npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", f4(2)), "unsupported .npy dtype \"<i4\""},
		{"fortran", npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f4(4)), "fortran_order True"},
		{"truncated", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f4(3)), "truncated .npy data"},
		{"header", []byte("\x93NUMPY\x01\x00\x40\x00{'descr'"), "truncated .npy header"},
		{"missing", npyBytes("{'descr': '<f4', 'shape': (2,), }", f4(2)), "missing key \"fortran_order\""},
		{"syntax", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", f4(2)), "tuple of integers"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		_, _, err := DecodeNPY(bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: DecodeNPY error %v, want one containing %q", c.name, err, c.want)
		}
		path := filepath.Join(dir, c.name+".npy")
		os.WriteFile(path, c.b, 0o644)
		_, err = ReadNPY(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: ReadNPY error %v, want one naming %s and containing %q", c.name, err, path, c.want)
		}
	}
	if _, err := ReadNPY(filepath.Join(dir, "absent.npy")); err == nil {
		t.Error("ReadNPY of a missing file succeeded")
	}
}

func TestWriteNPYRejectsFloat64(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	err := WriteNPY(path, tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2})))
	if err == nil || !strings.Contains(err.Error(), "want float32") {
		t.Fatalf("got %v", err)
	}
	if _, serr := os.Stat(path); serr == nil {
		t.Fatal("a rejected write left a file behind")
	}
}

func TestNPYScalar(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npy")
	if err := WriteNPY(path, tensor.New(tensor.FromScalar(float32(2.5)))); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("'shape': ()")) {
		t.Fatalf("header %q, want shape ()", raw[:64])
	}
	got, err := ReadNPY(path)
	if err != nil || !got.IsScalar() || got.Data().(float32) != 2.5 {
		t.Fatalf("read back %v, %v", got, err)
	}
}

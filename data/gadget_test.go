package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gadgetSpec describes a snapshot file to write byte by byte, following the
// GADGET-2 user guide (§6.4) rather than the reader's code.
type gadgetSpec struct {
	format   int // 1 or 2
	order    binary.ByteOrder
	width    int          // 4 or 8 bytes per coordinate
	pos      [6][]float64 // positions of each type, 3 per particle
	nall     [6]uint64    // 0: the file's own counts
	numFiles int32
	box      float64
}

func (s gadgetSpec) npart(t int) uint32 { return uint32(len(s.pos[t]) / 3) }

func (s gadgetSpec) header() []byte {
	h := make([]byte, 256)
	o := s.order
	nall := s.nall
	if nall == ([6]uint64{}) {
		for t := range 6 {
			nall[t] = uint64(s.npart(t))
		}
	}
	for t := range 6 {
		o.PutUint32(h[4*t:], s.npart(t))
		o.PutUint64(h[24+8*t:], math.Float64bits(0.5*float64(t)))
		o.PutUint32(h[96+4*t:], uint32(nall[t]))
		o.PutUint32(h[168+4*t:], uint32(nall[t]>>32))
	}
	o.PutUint64(h[72:], math.Float64bits(1)) // Time
	o.PutUint64(h[80:], math.Float64bits(0)) // Redshift
	o.PutUint32(h[124:], uint32(s.numFiles)) // NumFiles
	o.PutUint64(h[128:], math.Float64bits(s.box))
	o.PutUint64(h[136:], math.Float64bits(0.31))
	o.PutUint64(h[144:], math.Float64bits(0.69))
	o.PutUint64(h[152:], math.Float64bits(0.68))
	return h
}

// bytes lays out HEAD, (in format 2 an unrelated block first), POS, VEL and
// ID blocks, each between its two record markers.
func (s gadgetSpec) bytes() []byte {
	var b bytes.Buffer
	u32 := func(v uint32) { binary.Write(&b, s.order, v) }
	block := func(label string, data []byte) {
		if s.format == 2 {
			u32(8)
			b.WriteString(label)
			u32(uint32(len(data) + 8))
			u32(8)
		}
		u32(uint32(len(data)))
		b.Write(data)
		u32(uint32(len(data)))
	}
	block("HEAD", s.header())
	if s.format == 2 {
		block("INFO", []byte("twelve bytes"))
	}
	var pos, vel, ids bytes.Buffer
	n := 0
	for t := range 6 {
		for _, x := range s.pos[t] {
			if s.width == 4 {
				binary.Write(&pos, s.order, float32(x))
			} else {
				binary.Write(&pos, s.order, x)
			}
			binary.Write(&vel, s.order, float32(-x))
		}
		for range s.npart(t) {
			binary.Write(&ids, s.order, uint32(n))
			n++
		}
	}
	block("POS ", pos.Bytes())
	block("VEL ", vel.Bytes())
	block("ID  ", ids.Bytes())
	return b.Bytes()
}

func sampleSpec(format, width int, order binary.ByteOrder) gadgetSpec {
	return gadgetSpec{
		format: format, order: order, width: width, numFiles: 1, box: 10,
		pos: [6][]float64{
			0: {1, 2, 3, 4, 5, 6},
			1: {0.5, 9.5, 3.25, 7, 7, 7, 10, 0, 2.5},
			4: {8, 8, 8},
		},
	}
}

func writeSpec(t *testing.T, path string, s gadgetSpec) {
	t.Helper()
	if err := os.WriteFile(path, s.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func collect(t *testing.T, p Particles, chunk int) []float64 {
	t.Helper()
	var all []float64
	if err := p.Each(chunk, func(pos []float64) error { all = append(all, pos...); return nil }); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestSnapshotFormatsAndByteOrders(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []int{1, 2} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			for _, width := range []int{4, 8} {
				s := sampleSpec(format, width, order)
				path := filepath.Join(dir, "snap")
				writeSpec(t, path, s)
				snap, err := OpenGadget(path, 0)
				if err != nil {
					t.Fatalf("format %d %v width %d: %v", format, order, width, err)
				}
				h := snap.Header
				if h.BoxSize != 10 || h.Npart[1] != 3 || h.Nall[4] != 1 || h.Omega0 != 0.31 || h.HubbleParam != 0.68 || h.Massarr[2] != 1 || h.Time != 1 {
					t.Fatalf("format %d %v: header %+v", format, order, h)
				}
				if got := collect(t, snap, 2); !slices.Equal(got, s.pos[1]) {
					t.Fatalf("format %d %v width %d: type 1 positions %v, want %v", format, order, width, got, s.pos[1])
				}
				snap.Types = 1<<0 | 1<<4
				if got, want := collect(t, snap, 1), append(append([]float64{}, s.pos[0]...), s.pos[4]...); !slices.Equal(got, want) || snap.Count() != 3 {
					t.Fatalf("types 0 and 4: %v, want %v (count %d)", got, want, snap.Count())
				}
			}
		}
	}
}

func TestSnapshotMultiFile(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "snap_005")
	parts := [][]float64{{1, 1, 1, 2, 2, 2}, {}, {3, 3, 3}}
	var nall [6]uint64
	nall[1] = 3
	nall[0] = 2
	for i, p := range parts {
		s := gadgetSpec{format: 2, order: binary.BigEndian, width: 4, numFiles: 3, box: 4, nall: nall}
		s.pos[1] = p
		if i == 0 {
			s.pos[0] = []float64{0, 0, 0, 1, 1, 1}
		}
		writeSpec(t, base+"."+string(rune('0'+i)), s)
	}
	for _, name := range []string{base, base + ".0"} {
		snap, err := OpenSnapshot(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := collect(t, snap, 1), []float64{1, 1, 1, 2, 2, 2, 3, 3, 3}; !slices.Equal(got, want) {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
		if len(snap.Inputs()) != 3 || snap.Count() != 3 {
			t.Fatalf("inputs %v, count %d", snap.Inputs(), snap.Count())
		}
	}
	// A missing piece or a piece with different counts is refused.
	os.Remove(base + ".2")
	if _, err := OpenSnapshot(base, 0); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "snap_005.2") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestGadgetHeaderHighWord(t *testing.T) {
	s := sampleSpec(1, 4, binary.LittleEndian)
	s.nall[1] = 1<<32 + 3
	h := decodeGadgetHeader(s.header(), binary.LittleEndian)
	if h.Nall[1] != 1<<32+3 {
		t.Fatalf("Nall[1] = %d, want 2^32 + 3", h.Nall[1])
	}
}

// TestSnapshotBadInput: each kind of damage is an ErrBadInput naming the
// file and, where it applies, the offset.
func TestSnapshotBadInput(t *testing.T) {
	dir := t.TempDir()
	good := sampleSpec(1, 4, binary.LittleEndian).bytes()
	posStart := 4 + 256 + 4 // POS start marker
	nanFile := sampleSpec(2, 4, binary.BigEndian)
	nanFile.pos[1][4] = math.NaN()
	counts := sampleSpec(1, 4, binary.LittleEndian)
	counts.nall[1] = 7 // Nall disagrees with Σ Npart
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "offset"},
		{"empty", nil, "offset 0"},
		{"bad first marker", append([]byte{1, 2, 3, 4}, good[4:]...), "offset 0: first record marker"},
		{"bad end marker", func() []byte { b := bytes.Clone(good); b[posStart+4+6*12] ^= 1; return b }(), "end marker"},
		{"counts vs block", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[4+4:], 4) // Npart[1] = 4, block holds 3
			binary.LittleEndian.PutUint32(b[4+96+4:], 4)
			return b
		}(), "POS block of 72 bytes"},
		{"nall", counts.bytes(), "Nall"},
		// POS data at 16+4+256+4 + 16+4+12+4 + 16+4 = 336; type 0 takes 24 bytes;
		// coordinate 4 of type 1 is 16 bytes further.
		{"nan", nanFile.bytes(), "offset 376: position 1 of type 1 is NaN"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		os.WriteFile(path, c.b, 0o644)
		snap, err := OpenSnapshot(path, 0)
		if err == nil {
			err = snap.Each(10, func([]float64) error { return nil })
		}
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrBadInput naming %s and %q", c.name, err, path, c.want)
		}
	}
}

// TestSnapshotCutOrPadded: a snapshot is walked to its end, so a file cut
// after POS (which the reader needs) or inside a later block, or one with
// bytes after its last block, is refused with the offset where it goes wrong.
func TestSnapshotCutOrPadded(t *testing.T) {
	dir := t.TempDir()
	// Format 1, 6 particles: HEAD [0, 264), POS [264, 344), VEL [344, 424),
	// ID [424, 456). Format 2 adds a 16-byte label record to each block and
	// an INFO block: HEAD [0, 280), INFO [280, 316), POS [316, 412), …
	f1 := sampleSpec(1, 4, binary.LittleEndian).bytes()
	f2 := sampleSpec(2, 4, binary.BigEndian).bytes()
	if len(f1) != 456 {
		t.Fatalf("format 1 sample of %d bytes, want 456: fix the offsets below", len(f1))
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"after POS", f1[:344], "offset 344: the file ends without a VEL block"},
		{"format 2 after POS", f2[:412], "offset 412: the file ends without a VEL block"},
		{"inside VEL", f1[:384], "offset 344: VEL block of 72 bytes runs past the end of the 384-byte file"},
		{"inside ID", f1[:450], "offset 424: ID block of 24 bytes runs past the end"},
		{"inside a marker", f1[:346], "offset 344: 2 stray bytes after the last block"},
		{"stray bytes", append(bytes.Clone(f1), 0, 0, 0), "offset 456: 3 stray bytes after the last block"},
		{"garbage", append(bytes.Clone(f1), "trailing garbage"...), "offset 456: block 5 of 1767993972 bytes runs past the end"},
		{"format 2 stub", f2[:10], "offset 0: file of 10 bytes is too short"},
		{"format 2 garbage", append(bytes.Clone(f2), make([]byte, 20)...), "block label record markers 0 and 0"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		os.WriteFile(path, c.b, 0o644)
		_, err := OpenSnapshot(path, 0)
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), path+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrBadInput naming %s and %q", c.name, err, path, c.want)
		}
	}
}

// FuzzGadget: no input makes the reader panic or loop; what it accepts
// streams exactly the header's particle count.
func FuzzGadget(f *testing.F) {
	for _, format := range []int{1, 2} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			f.Add(sampleSpec(format, 4, order).bytes())
		}
	}
	f.Add(sampleSpec(2, 8, binary.LittleEndian).bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := parseGadget("fuzz", bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error %v does not wrap ErrBadInput", err)
			}
			return
		}
		var n int64
		pos := make([]float64, 3*5)
		err = g.each(bytes.NewReader(b), 0x3f, make([]byte, 3*8*5), func(c rawChunk) error {
			n += int64(len(c.b) / (3 * c.width))
			return c.decode(pos[:len(c.b)/c.width])
		})
		if err == nil && n != g.total() {
			t.Fatalf("streamed %d particles, header has %d", n, g.total())
		}
	})
}

// GADGET-2 snapshots (Springel 2005, user guide §6.4): the format the paper's
// 3D simulation was written in. A file is a sequence of Fortran-style
// records: a 4-byte length, the block, the same length again. SnapFormat 1
// has the blocks in a fixed order (HEAD, POS, VEL, ID, MASS, …); SnapFormat 2
// precedes each block with a 16-byte record of its own: length 8, a 4-character
// label ("HEAD", "POS "), the next block's length + 8, length 8. The byte
// order is that of the machine that wrote it and is detected from the first
// length, which is 256 (format 1) or 8 (format 2).

package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// GadgetHeader is the 256-byte header block of one snapshot file.
type GadgetHeader struct {
	Npart                            [6]uint32  // particles of each type in this file
	Massarr                          [6]float64 // mass of each type, 0 when masses are in the MASS block
	Time, Redshift                   float64    // scale factor and redshift of the snapshot
	FlagSfr, FlagFeedback            int32
	Nall                             [6]uint64 // particles of each type in all files: Nall | NallHW << 32
	FlagCooling                      int32
	NumFiles                         int32   // files of the snapshot
	BoxSize                          float64 // side of the periodic box, in the length unit of the positions
	Omega0, OmegaLambda, HubbleParam float64 // Ω_m, Ω_Λ and h
	FlagAge, FlagMetals              int32
}

// gadgetFile is the layout of one snapshot file: its header and where its
// position block lies.
type gadgetFile struct {
	path   string
	size   int64
	order  binary.ByteOrder
	format int // 1 or 2
	hdr    GadgetHeader
	pos    int64 // offset of the first position value
	width  int   // bytes per coordinate: 4 (float32) or 8 (float64)
}

// total is the number of particles of all types in the file.
func (g *gadgetFile) total() int64 {
	var n int64
	for _, c := range g.hdr.Npart {
		n += int64(c)
	}
	return n
}

// gadgetErr formats an error about a snapshot file at an offset.
func gadgetErr(path string, off int64, format string, args ...any) error {
	return fmt.Errorf("%s: offset %d: %s: %w", path, off, fmt.Sprintf(format, args...), ErrBadInput)
}

// gadgetBlock is one record of a snapshot file: its label (format 2's label
// record, or format 1's fixed order; "" past it), where its payload lies and
// how long it is.
type gadgetBlock struct {
	index   int // 0 for the header
	label   string
	start   int64 // offset of the block's first marker (format 2: of its label record)
	data, n int64 // offset and length of the payload
}

// end is the offset just past the block's closing record marker.
func (b gadgetBlock) end() int64 { return b.data + b.n + 4 }

// name is how errors call the block: "POS block", "\"INFO\" block" (a label
// quoted unless it is a standard one), or "block 5" (format 1 past ID).
func (b gadgetBlock) name() string {
	switch {
	case b.label == "":
		return fmt.Sprintf("block %d", b.index+1)
	case slices.Contains(format1Blocks, b.label):
		return strings.TrimSpace(b.label) + " block"
	}
	return fmt.Sprintf("%q block", b.label)
}

// format1Blocks are the labels of SnapFormat 1's blocks, in their fixed order;
// the optional blocks after ID (MASS, gas properties) depend on the header.
var format1Blocks = []string{"HEAD", "POS ", "VEL ", "ID  "}

// parseGadget reads the header of the snapshot file r (size bytes, named
// path in errors) and walks its blocks from record marker to record marker,
// seeking past their payloads: every block's two markers must agree, the file
// must end exactly where its last block does, and the POS, VEL and ID blocks
// every GADGET-2 snapshot holds must be there, each sized for the particles
// of the header. A file cut short or with bytes after its last block is
// refused with the offset where it goes wrong.
func parseGadget(path string, r io.ReaderAt, size int64) (*gadgetFile, error) {
	g := &gadgetFile{path: path, size: size}
	var b4 [4]byte
	if _, err := r.ReadAt(b4[:], 0); err != nil {
		return nil, gadgetErr(path, 0, "file of %d bytes is too short for a GADGET-2 snapshot", size)
	}
	le, be := binary.LittleEndian.Uint32(b4[:]), binary.BigEndian.Uint32(b4[:])
	switch {
	case le == 256 || le == 8:
		g.order = binary.LittleEndian
	case be == 256 || be == 8:
		g.order = binary.BigEndian
	default:
		return nil, gadgetErr(path, 0, "first record marker %d (little endian) / %d (big endian), want 256 (SnapFormat 1) or 8 (SnapFormat 2)", le, be)
	}
	g.format = 1
	if g.order.Uint32(b4[:]) == 8 {
		g.format = 2
	}

	found := map[string]gadgetBlock{}
	for i, off := 0, int64(0); off < size; i++ {
		b, err := g.block(r, i, off)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			if err := g.readHeader(r, b); err != nil {
				return nil, err
			}
		} else if _, dup := found[b.label]; !dup && b.label != "" {
			found[b.label] = b
		}
		off = b.end()
	}
	if g.total() == 0 {
		return g, nil // no particles in this file: no particle blocks needed
	}
	for _, label := range format1Blocks[1:] {
		b, ok := found[label]
		if !ok {
			return nil, gadgetErr(path, size, "the file ends without a %s: want POS, VEL and ID blocks for the %d particles of the header (a truncated snapshot?)",
				gadgetBlock{label: label}.name(), g.total())
		}
		width, err := g.checkParticleBlock(b)
		if err != nil {
			return nil, err
		}
		if label == "POS " {
			g.pos, g.width = b.data, width
		}
	}
	return g, nil
}

// block reads the markers of block i, which starts at off: the label record
// in format 2, then the length before and after the payload, which must agree
// and lie within the file. The payload itself is not read.
func (g *gadgetFile) block(r io.ReaderAt, i int, off int64) (gadgetBlock, error) {
	b := gadgetBlock{index: i, start: off}
	lead := int64(4)
	if g.format == 2 {
		lead = 16
	}
	if rest := g.size - off; rest < lead {
		if i == 0 {
			return b, gadgetErr(g.path, 0, "file of %d bytes is too short for a GADGET-2 snapshot", g.size)
		}
		return b, gadgetErr(g.path, off, "%d stray bytes after the last block, which ends here: want the file to end here or another complete block", rest)
	}
	if g.format == 2 {
		var rec [16]byte
		if err := readFull(r, rec[:], off, g.size); err != nil {
			return b, gadgetErr(g.path, off, "reading the block label record: %v", err)
		}
		if m, m2 := g.order.Uint32(rec[:]), g.order.Uint32(rec[12:]); m != 8 || m2 != 8 {
			return b, gadgetErr(g.path, off, "block label record markers %d and %d, want 8 and 8", m, m2)
		}
		b.label = string(rec[4:8])
		off += 16
	} else if i < len(format1Blocks) {
		b.label = format1Blocks[i]
	}
	n, err := readMarker(r, g.order, off, g.size, g.path)
	if err != nil {
		return b, err
	}
	b.data, b.n = off+4, n
	if b.end() > g.size {
		return b, gadgetErr(g.path, off, "%s of %d bytes runs past the end of the %d-byte file (truncated?)", b.name(), n, g.size)
	}
	if m, err := readMarker(r, g.order, b.data+n, g.size, g.path); err != nil {
		return b, err
	} else if m != n {
		return b, gadgetErr(g.path, b.data+n, "%s end marker %d, want %d (its start marker at offset %d)", b.name(), m, n, off)
	}
	return b, nil
}

// readHeader decodes and checks the header block b, which must be the
// 256-byte HEAD.
func (g *gadgetFile) readHeader(r io.ReaderAt, b gadgetBlock) error {
	if b.label != "HEAD" || b.n != 256 {
		return gadgetErr(g.path, b.start, "first block %q of %d bytes, want the 256-byte header HEAD", b.label, b.n)
	}
	var h [256]byte
	if err := readFull(r, h[:], b.data, g.size); err != nil {
		return gadgetErr(g.path, b.data, "reading the header: %v", err)
	}
	g.hdr = decodeGadgetHeader(h[:], g.order)
	return g.checkHeader(b.data)
}

// checkParticleBlock checks that the POS, VEL or ID block b holds one value
// (ID) or three (POS, VEL) of 4 or 8 bytes for each particle of the header,
// and returns that width.
func (g *gadgetFile) checkParticleBlock(b gadgetBlock) (int, error) {
	t, per := g.total(), int64(3)
	if b.label == "ID  " {
		per = 1
	}
	for _, width := range []int64{4, 8} {
		if b.n == per*width*t {
			return int(width), nil
		}
	}
	return 0, gadgetErr(g.path, b.start, "%s of %d bytes, want %d × 4 × %d or %d × 8 × %d bytes for the %d particles of the header (Npart %v)",
		b.name(), b.n, per, t, per, t, t, g.hdr.Npart)
}

// checkHeader validates the header fields the reader relies on.
func (g *gadgetFile) checkHeader(off int64) error {
	h := &g.hdr
	if !(h.BoxSize > 0) || math.IsInf(h.BoxSize, 0) {
		return gadgetErr(g.path, off+128, "header BoxSize %g, want a positive finite box", h.BoxSize)
	}
	if h.NumFiles < 1 {
		return gadgetErr(g.path, off+124, "header NumFiles %d, want at least 1", h.NumFiles)
	}
	for t, n := range h.Npart {
		if uint64(n) > h.Nall[t] {
			return gadgetErr(g.path, off+4*int64(t), "header Npart[%d] = %d exceeds Nall[%d] = %d", t, n, t, h.Nall[t])
		}
	}
	return nil
}

func decodeGadgetHeader(b []byte, o binary.ByteOrder) GadgetHeader {
	var h GadgetHeader
	u32 := func(off int) uint32 { return o.Uint32(b[off:]) }
	f64 := func(off int) float64 { return math.Float64frombits(o.Uint64(b[off:])) }
	for t := range 6 {
		h.Npart[t] = u32(4 * t)
		h.Massarr[t] = f64(24 + 8*t)
		h.Nall[t] = uint64(u32(96+4*t)) | uint64(u32(168+4*t))<<32
	}
	h.Time, h.Redshift = f64(72), f64(80)
	h.FlagSfr, h.FlagFeedback = int32(u32(88)), int32(u32(92))
	h.FlagCooling, h.NumFiles = int32(u32(120)), int32(u32(124))
	h.BoxSize, h.Omega0, h.OmegaLambda, h.HubbleParam = f64(128), f64(136), f64(144), f64(152)
	h.FlagAge, h.FlagMetals = int32(u32(160)), int32(u32(164))
	return h
}

func readMarker(r io.ReaderAt, o binary.ByteOrder, off, size int64, path string) (int64, error) {
	var b [4]byte
	if err := readFull(r, b[:], off, size); err != nil {
		return 0, gadgetErr(path, off, "truncated file: want a 4-byte record marker, file has %d bytes", size)
	}
	return int64(o.Uint32(b[:])), nil
}

// readFull reads len(b) bytes at off, failing if they lie beyond size.
func readFull(r io.ReaderAt, b []byte, off, size int64) error {
	if off < 0 || off+int64(len(b)) > size {
		return io.ErrUnexpectedEOF
	}
	_, err := r.ReadAt(b, off)
	return err
}

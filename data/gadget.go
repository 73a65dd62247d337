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

// parseGadget reads the header of the snapshot file r (size bytes, named
// path in errors) and locates its position block, checking every record
// marker it passes and that the block holds 3 coordinates for each particle
// of the header.
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

	off := int64(0)
	blocks := []string{"HEAD", "POS "} // format 1's fixed order
	for i := 0; ; i++ {
		label := ""
		if g.format == 2 {
			var rec [16]byte
			if err := readFull(r, rec[:], off, size); err != nil {
				return nil, gadgetErr(path, off, "truncated block label record: want 16 bytes, file has %d", size-off)
			}
			if m, m2 := g.order.Uint32(rec[:]), g.order.Uint32(rec[12:]); m != 8 || m2 != 8 {
				return nil, gadgetErr(path, off, "block label record markers %d and %d, want 8 and 8", m, m2)
			}
			label = string(rec[4:8])
			off += 16
		} else if i < len(blocks) {
			label = blocks[i]
		}
		n, err := readMarker(r, g.order, off, size, path)
		if err != nil {
			return nil, err
		}
		data := off + 4
		if data+n+4 > size {
			return nil, gadgetErr(path, off, "%q block of %d bytes runs past the end of the %d-byte file", label, n, size)
		}
		if m, err := readMarker(r, g.order, data+n, size, path); err != nil {
			return nil, err
		} else if m != n {
			return nil, gadgetErr(path, data+n, "%q block end marker %d, want %d (its start marker at offset %d)", label, m, n, off)
		}
		switch {
		case i == 0:
			if label != "HEAD" || n != 256 {
				return nil, gadgetErr(path, off, "first block %q of %d bytes, want the 256-byte header HEAD", label, n)
			}
			var h [256]byte
			if err := readFull(r, h[:], data, size); err != nil {
				return nil, gadgetErr(path, data, "truncated header")
			}
			g.hdr = decodeGadgetHeader(h[:], g.order)
			if err := g.checkHeader(data); err != nil {
				return nil, err
			}
			if g.total() == 0 {
				return g, nil // no particles in this file: no position block needed
			}
		case label == "POS ":
			t := g.total()
			switch {
			case n == 12*t && t > 0:
				g.width = 4
			case n == 24*t && t > 0:
				g.width = 8
			default:
				return nil, gadgetErr(path, off, "POS block of %d bytes, want 3 × 4 × %d or 3 × 8 × %d bytes for the %d particles of the header (Npart %v)", n, t, t, t, g.hdr.Npart)
			}
			g.pos = data
			return g, nil
		}
		off = data + n + 4
		if off >= size {
			return nil, gadgetErr(path, off, "no POS block in the file, want one after the header")
		}
	}
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

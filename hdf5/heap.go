package hdf5

// Heaps (format specification §III.D and §III.G): the local heap of an
// old-style group, which holds its link names, and the fractal heap of a
// new-style group or object, which holds its dense links or attributes.

import "bytes"

// localHeap reads the data segment of the local heap at addr.
func (f *File) localHeap(addr uint64) ([]byte, error) {
	_, c, err := f.read(addr, 8+2*uint64(f.lenSize)+uint64(f.offSize), "local heap")
	if err != nil {
		return nil, err
	}
	if err := c.signature("HEAP", "local heap"); err != nil {
		return nil, err
	}
	c.skip(4) // version, reserved
	size := c.length()
	c.length() // free list
	data := c.addr()
	if err := c.check("local heap"); err != nil {
		return nil, err
	}
	b, _, err := f.read(data, size, "local heap data segment")
	return b, err
}

// heapString is the NUL-terminated string at off in a local heap segment.
func heapString(seg []byte, off uint64) (string, bool) {
	if off >= uint64(len(seg)) {
		return "", false
	}
	s := seg[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		return string(s[:i]), true
	}
	return "", false
}

// fractalHeap is the header of a fractal heap: the doubling table of its
// managed blocks, which is all that objects of a group or attribute index
// live in.
type fractalHeap struct {
	f                *File
	at               int64
	idLen            int
	filtered         bool
	checksummed      bool // direct blocks carry a checksum
	width            uint64
	start, maxDirect uint64
	maxBits          int
	root             uint64
	rootRows         int
	offSize, lenSize int // of a managed object's heap ID
	maxDirectRows    int
}

// openFractalHeap reads the fractal heap header at addr.
func (f *File) openFractalHeap(addr uint64) (*fractalHeap, error) {
	c, err := f.readSome(addr, 256, "fractal heap header")
	if err != nil {
		return nil, err
	}
	if err := c.signature("FRHP", "fractal heap header"); err != nil {
		return nil, err
	}
	h := &fractalHeap{f: f, at: c.at}
	c.skip(1)
	h.idLen, h.filtered = c.u16(), c.u16() > 0
	flags := c.u8()
	h.checksummed = flags&0x02 != 0
	maxMan := c.u32()
	c.skip(f.lenSize + f.offSize + f.lenSize + f.offSize + 8*f.lenSize) // huge objects, free space, counters
	h.width = uint64(c.u16())
	h.start, h.maxDirect = c.length(), c.length()
	h.maxBits = c.u16()
	c.skip(2) // starting rows of the root indirect block
	h.root, h.rootRows = c.addr(), c.u16()
	if err := c.check("fractal heap header"); err != nil {
		return nil, err
	}
	if h.filtered {
		return nil, f.errf("", c.at, "fractal heap with I/O filters: not supported")
	}
	if !pow2(h.width) || !pow2(h.start) || !pow2(h.maxDirect) || h.start > h.maxDirect || h.maxBits < 8 || h.maxBits > 64 || h.rootRows > 64 {
		return nil, f.errf("", c.at, "fractal heap table width %d, block sizes %d to %d, %d bits, %d root rows: want powers of two and at most 64 bits and rows",
			h.width, h.start, h.maxDirect, h.maxBits, h.rootRows)
	}
	h.offSize = (h.maxBits + 7) / 8
	h.lenSize = min((log2(h.maxDirect)+7)/8, (log2(uint64(maxMan))+7)/8)
	h.maxDirectRows = log2(h.maxDirect) - log2(h.start) + 2
	return h, nil
}

func pow2(x uint64) bool { return x > 0 && x&(x-1) == 0 }

// log2 is ⌊log₂ x⌋ (0 for 0).
func log2(x uint64) int {
	n := -1
	for ; x > 0; x >>= 1 {
		n++
	}
	return max(n, 0)
}

// object returns the bytes of the managed object with heap ID id.
func (h *fractalHeap) object(id []byte) ([]byte, error) {
	c := h.f.cursor(id, h.at)
	kind := c.u8()
	if kind&0xc0 != 0 || kind>>4&3 != 0 {
		return nil, h.f.errf("", h.at, "fractal heap ID of version %d, type %d: want a version 0 managed object (huge and tiny objects are not supported)", kind>>6, kind>>4&3)
	}
	off, n := c.uint(h.offSize), c.uint(h.lenSize)
	if err := c.check("fractal heap ID"); err != nil {
		return nil, err
	}
	addr, blockOff, size, err := h.locate(off)
	if err != nil {
		return nil, err
	}
	if off-blockOff+n > size {
		return nil, h.f.errf("", h.at, "fractal heap object at heap offset %d of %d bytes runs past its %d-byte block", off, n, size)
	}
	b, _, err := h.f.read(addr+off-blockOff, n, "fractal heap object")
	return b, err
}

// locate finds the direct block holding heap offset off: its address, its
// heap offset and its size, descending from the root through at most 64
// levels of indirect blocks.
func (h *fractalHeap) locate(off uint64) (addr, blockOff, size uint64, err error) {
	addr, rows := h.root, h.rootRows
	if rows == 0 { // the root is a direct block
		return addr, 0, h.start, nil
	}
	for depth := 0; depth < 64; depth++ {
		row, col, rowOff := h.row(off-blockOff, rows)
		if row < 0 {
			return 0, 0, 0, h.f.errf("", h.at, "fractal heap offset %d lies outside its indirect block", off)
		}
		nDirect := min(rows, h.maxDirectRows)
		entry := uint64(row)*h.width + uint64(col)
		if row >= nDirect {
			entry = uint64(nDirect)*h.width + uint64(row-nDirect)*h.width + uint64(col)
		}
		_, c, err := h.f.read(addr, 4+1+uint64(h.f.offSize)+uint64(h.offSize)+(entry+1)*uint64(h.f.offSize), "fractal heap indirect block")
		if err != nil {
			return 0, 0, 0, err
		}
		if err := c.signature("FHIB", "fractal heap indirect block"); err != nil {
			return 0, 0, 0, err
		}
		c.skip(1 + h.f.offSize + h.offSize + int(entry)*h.f.offSize)
		child := c.addr()
		if err := c.check("fractal heap indirect block"); err != nil {
			return 0, 0, 0, err
		}
		bsize := h.blockSize(row)
		blockOff += rowOff + uint64(col)*bsize
		if row < h.maxDirectRows {
			return child, blockOff, bsize, nil
		}
		addr, rows = child, log2(bsize)-log2(h.start*h.width)+1
	}
	return 0, 0, 0, h.f.errf("", h.at, "fractal heap deeper than 64 indirect blocks")
}

// blockSize is the size of the blocks in row r of the doubling table.
func (h *fractalHeap) blockSize(r int) uint64 {
	if r == 0 {
		return h.start
	}
	return h.start << (r - 1)
}

// row finds the row and column of relative offset off in an indirect block
// of the given rows, and the offset at which that row starts; row −1 when
// off is past the block.
func (h *fractalHeap) row(off uint64, rows int) (row, col int, rowOff uint64) {
	for r := range rows {
		if h.blockSize(r) == 0 { // shifted out: no such block fits a file
			break
		}
		span := h.width * h.blockSize(r)
		if off < rowOff+span {
			return r, int((off - rowOff) / h.blockSize(r)), rowOff
		}
		rowOff += span
	}
	return -1, 0, 0
}

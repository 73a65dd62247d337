package hdf5

// Chunk indexes (format specification §IV.A.2.i and §VII): a v1 B-tree
// keyed by chunk offsets (layout version 3, what HDF5 writes unless told to
// use the latest format), and, in layout version 4, a v2 B-tree of scaled
// offsets (datasets with more than one unlimited dimension) or a fixed
// array in grid order (datasets of fixed size).

// indexBTree1 reads a v1 B-tree of chunks: keys are the chunk's stored
// size, filter mask and element offsets (one more than the rank, the last
// 0); children at level 0 are the chunks.
func (d *Dataset) indexBTree1() error {
	rank := len(d.Dims)
	return d.f.walkBTree1(d.layout.addr, 1, 8+8*(rank+1), func(key []byte, child uint64) error {
		c := d.f.cursor(key, 0)
		rec := chunkRec{addr: child, size: uint64(c.u32()), mask: c.u32()}
		s := make([]uint64, rank)
		for i := range s {
			off := c.uint(8)
			if off%d.layout.chunk[i] != 0 {
				return d.f.errf(d.Path, int64(min(child, uint64(d.f.size))), "chunk at offset %d in dimension %d, want a multiple of the chunk size %d", off, i, d.layout.chunk[i])
			}
			s[i] = off / d.layout.chunk[i]
		}
		return d.add(s, rec)
	})
}

// indexBTree2 reads a v2 B-tree of chunks: type 10 records (unfiltered:
// address, scaled offsets) or type 11 (filtered: address, stored size,
// filter mask, scaled offsets).
func (d *Dataset) indexBTree2() error {
	typ := uint8(10)
	if len(d.filters) > 0 {
		typ = 11
	}
	t, err := d.f.openBTree2(d.layout.addr, typ)
	if err != nil {
		return err
	}
	rank := len(d.Dims)
	sizeLen := t.recSize - d.f.offSize - 4 - 8*rank
	if typ == 10 && t.recSize != d.f.offSize+8*rank || typ == 11 && (sizeLen < 1 || sizeLen > 8) {
		return d.f.errf(d.Path, int64(min(d.layout.addr, uint64(d.f.size))), "chunk B-tree records of %d bytes do not fit a dataset of rank %d", t.recSize, rank)
	}
	return t.walk(func(b []byte) error {
		c := d.f.cursor(b, 0)
		rec := chunkRec{addr: c.addr(), size: d.chunkBytes()}
		if typ == 11 {
			rec.size, rec.mask = c.uint(sizeLen), c.u32()
		}
		s := make([]uint64, rank)
		for i := range s {
			s[i] = c.uint(8)
		}
		return d.add(s, rec)
	})
}

// indexFixedArray reads a fixed array of chunks ("FAHD", "FADB"): one entry
// per chunk in grid order, in pages of 2^pageBits entries when there are
// more than that.
func (d *Dataset) indexFixedArray() error {
	f := d.f
	_, c, err := f.read(d.layout.addr, 8+2*uint64(f.offSize)+uint64(f.lenSize), "fixed array header")
	if err != nil {
		return err
	}
	if err := c.signature("FAHD", "fixed array header"); err != nil {
		return err
	}
	c.skip(2) // version, client
	entry, pageBits, n, block := int(c.u8()), int(c.u8()), c.length(), c.addr()
	if err := c.check("fixed array header"); err != nil {
		return err
	}
	sizeLen := entry - f.offSize - 4
	filtered := len(d.filters) > 0
	if g, _ := elements(d.grid()); n != g || pageBits > 32 || entry != f.offSize && !filtered || filtered && (sizeLen < 1 || sizeLen > 8) {
		return f.errf(d.Path, c.at, "fixed array of %d entries of %d bytes, %d page bits: want %d entries for the chunk grid %v", n, entry, pageBits, g, d.grid())
	}
	if n > uint64(f.size)/uint64(entry) {
		return f.errf(d.Path, c.at, "fixed array of %d entries of %d bytes is larger than the file", n, entry)
	}
	page := uint64(1) << pageBits
	prefix := uint64(6 + f.offSize)
	starts := []uint64{block + prefix} // where each page's entries start
	if n > page {
		pages := (n + page - 1) / page
		first := block + prefix + (pages+7)/8 + 4
		starts = starts[:0]
		for p := range pages {
			starts = append(starts, first+p*(page*uint64(entry)+4))
		}
	}
	for p, start := range starts {
		k0, m := uint64(p)*page, n
		if len(starts) > 1 {
			m = min(page, n-k0)
		}
		if err := d.fixedArrayPage(start, k0, m, entry, sizeLen); err != nil {
			return err
		}
	}
	return nil
}

// fixedArrayPage reads m entries, for chunks k0, k0+1, …, at addr.
func (d *Dataset) fixedArrayPage(addr, k0, m uint64, entry, sizeLen int) error {
	_, c, err := d.f.read(addr, m*uint64(entry), "fixed array entries")
	if err != nil {
		return err
	}
	g := d.grid()
	s := make([]uint64, len(g))
	for k := k0; k < k0+m; k++ {
		rec := chunkRec{addr: c.addr(), size: d.chunkBytes()}
		if sizeLen > 0 {
			rec.size, rec.mask = c.uint(sizeLen), c.u32()
		}
		if rec.addr == undefined {
			continue // never written: reported when read
		}
		for i, r := len(g)-1, k; i >= 0; i-- {
			s[i], r = r%g[i], r/g[i]
		}
		if err := d.add(s, rec); err != nil {
			return err
		}
	}
	return c.check("fixed array entries")
}

package hdf5

// Data layout and filter pipeline messages (format specification §IV.A.2.i
// and .l): how a dataset's values are stored (compact, contiguous or
// chunked, and for chunks which index finds them) and the filters its
// chunks went through.

// Layout classes.
const (
	compact    = 0
	contiguous = 1
	chunked    = 2
)

// Chunk index types of a version 4 layout message; a version 3 message
// always uses a v1 B-tree.
const (
	indexBTree1     = 0 // not a type of the version 4 message: version 3's
	indexSingle     = 1
	indexImplicit   = 2
	indexFixedArray = 3
	indexExtensible = 4
	indexBTree2     = 5
)

// Filters this package applies.
const (
	filterDeflate = 1
	filterShuffle = 2
)

// layout is a decoded data layout message.
type layout struct {
	class  int
	addr   uint64   // contiguous data or chunk index
	size   uint64   // contiguous: bytes
	data   []byte   // compact: the values
	chunk  []uint64 // chunked: chunk dimensions, without the element size
	index  int      // chunked: indexBTree1 …
	single chunkRec // a single chunk's size and filter mask, when filtered
}

// filter is one filter of a pipeline, with its client data.
type filter struct {
	id    int
	flags int
	cd    []uint32
}

// layoutMessage decodes the data layout message of dataset o.
func (o *object) layoutMessage(m *message, rank int) (layout, error) {
	c := o.cursor(m)
	var l layout
	v := c.u8()
	if v != 3 && v != 4 {
		return l, o.errf(m.at, "data layout message version %d, want 3 or 4 (files written by HDF5 1.6 or later)", v)
	}
	l.class = int(c.u8())
	switch l.class {
	case compact:
		l.data = c.bytes(c.u16())
	case contiguous:
		l.addr, l.size = c.addr(), c.length()
	case chunked:
		if err := o.chunkLayout(c, &l, v, rank); err != nil {
			return l, err
		}
	default:
		return l, o.errf(m.at, "data layout class %d (virtual?), want compact, contiguous or chunked", l.class)
	}
	return l, o.wrap(c.check("data layout message"))
}

// chunkLayout decodes the chunked layout of a version 3 or 4 message.
func (o *object) chunkLayout(c *cursor, l *layout, v uint8, rank int) error {
	at := c.offset()
	width, flags := 4, uint8(0)
	if v == 4 {
		flags = c.u8()
	}
	n := int(c.u8())
	if v == 3 {
		l.addr = c.addr()
	} else {
		width = int(c.u8())
	}
	if n != rank+1 || width < 1 || width > 8 {
		return o.errf(at, "chunk of %d dimensions of %d bytes, want the dataset's %d plus the element size", n, width, rank)
	}
	l.chunk = make([]uint64, rank)
	for i := range l.chunk {
		if l.chunk[i] = c.uint(width); l.chunk[i] == 0 && c.err == nil {
			return o.errf(at, "chunk dimension %d is 0", i)
		}
	}
	c.uint(width) // element size
	if v == 3 {
		return nil
	}
	l.index = int(c.u8())
	switch l.index {
	case indexSingle:
		if flags&2 != 0 { // a filtered single chunk: its size and filter mask
			l.single.size, l.single.mask = c.length(), c.u32()
		}
	case indexFixedArray:
		c.skip(1) // page bits
	case indexBTree2:
		c.skip(6) // node size, split and merge percentages
	case indexImplicit, indexExtensible:
		return o.errf(at, "chunk index type %d (%s), want a single chunk, a fixed array or a B-tree", l.index,
			map[int]string{indexImplicit: "implicit", indexExtensible: "extensible array"}[l.index])
	default:
		return o.errf(at, "chunk index type %d, want a single chunk, a fixed array or a B-tree", l.index)
	}
	l.addr = c.addr()
	return nil
}

// filters decodes the filter pipeline message of dataset o and refuses
// filters other than deflate and shuffle.
func (o *object) filters(m *message) ([]filter, error) {
	c := o.cursor(m)
	v, n := c.u8(), int(c.u8())
	if v == 1 {
		c.skip(6)
	} else if v != 2 {
		return nil, o.errf(m.at, "filter pipeline message version %d, want 1 or 2", v)
	}
	var fs []filter
	for range n {
		f := filter{id: c.u16()}
		nameLen := 0
		if v == 1 || f.id >= 256 {
			nameLen = c.u16()
		}
		f.flags = c.u16()
		ncd := c.u16()
		if v == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		c.skip(nameLen)
		for range ncd {
			f.cd = append(f.cd, c.u32())
		}
		if v == 1 && ncd%2 == 1 {
			c.skip(4)
		}
		if err := c.check("filter pipeline message"); err != nil {
			return nil, o.wrap(err)
		}
		if f.id != filterDeflate && f.id != filterShuffle {
			return nil, o.errf(m.at, "filter %d (%s): want only deflate (gzip, 1) and shuffle (2)", f.id, filterName(f.id))
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// filterName names the filters of HDF5 and the registered ones snapshots
// are known to use.
func filterName(id int) string {
	switch id {
	case 3:
		return "Fletcher32 checksum"
	case 4:
		return "szip"
	case 5:
		return "nbit"
	case 6:
		return "scale-offset, a lossy filter"
	case 32000:
		return "lzf"
	case 32001:
		return "blosc"
	case 32004:
		return "lz4"
	case 32015:
		return "zstd"
	}
	return "unknown"
}

package hdf5

// Dataset is an array of numbers in the file: its dimensions, type and
// where its values lie. Read streams them.
type Dataset struct {
	f       *File
	Path    string
	Dims    []uint64
	Type    Type
	layout  layout
	filters []filter
	chunks  map[uint64]chunkRec // by linear chunk index; chunked datasets
}

// chunkRec is where one chunk is stored: its address, stored size and
// filter mask (bit i set: filter i was skipped).
type chunkRec struct {
	addr, size uint64
	mask       uint32
}

// Dataset opens the dataset at path and locates its storage: for a chunked
// dataset, every chunk in its index.
func (f *File) Dataset(path string) (*Dataset, error) {
	o, err := f.object(path)
	if err != nil {
		return nil, err
	}
	d := &Dataset{f: f, Path: o.path}
	ms, mt, ml := o.find(msgDataspace), o.find(msgDatatype), o.find(msgLayout)
	if ms == nil || mt == nil || ml == nil {
		return nil, o.errf(o.at, "not a dataset (no dataspace, datatype or layout message): want a dataset")
	}
	if d.Dims, err = o.dataspace(ms); err != nil {
		return nil, err
	}
	if len(d.Dims) == 0 {
		return nil, o.errf(ms.at, "scalar dataset: want an array")
	}
	if d.Type, err = o.datatype(mt); err != nil {
		return nil, err
	}
	if d.layout, err = o.layoutMessage(ml, len(d.Dims)); err != nil {
		return nil, err
	}
	if m := o.find(msgFilters); m != nil {
		if d.filters, err = o.filters(m); err != nil {
			return nil, err
		}
	}
	n, ok := elements(d.Dims)
	if !ok || n > 1<<62/uint64(d.Type.Size) {
		return nil, o.errf(o.at, "dataset dimensions %v of %d-byte values: more bytes than any file holds", d.Dims, d.Type.Size)
	}
	if err := d.checkStorage(o, n*uint64(d.Type.Size)); err != nil {
		return nil, err
	}
	return d, nil
}

// checkStorage checks that the storage can hold the dataset's bytes and,
// for chunks, reads the index.
func (d *Dataset) checkStorage(o *object, bytes uint64) error {
	l := &d.layout
	switch l.class {
	case compact:
		if uint64(len(l.data)) != bytes {
			return o.errf(o.at, "compact data of %d bytes, want %d for dimensions %v of %d-byte values", len(l.data), bytes, d.Dims, d.Type.Size)
		}
	case contiguous:
		if bytes > 0 && (l.size != bytes || l.addr == undefined) {
			return o.errf(o.at, "contiguous storage of %d bytes at address %#x, want %d bytes for dimensions %v of %d-byte values",
				l.size, l.addr, bytes, d.Dims, d.Type.Size)
		}
		if _, err := d.f.abs(l.addr+l.size, "end of the data"); bytes > 0 && err != nil {
			return o.wrap(err)
		}
	case chunked:
		if cb, ok := elements(l.chunk); !ok || cb > maxChunk/uint64(d.Type.Size) {
			return o.errf(o.at, "chunk %v of %d-byte values exceeds HDF5's 4 GiB chunk limit", l.chunk, d.Type.Size)
		}
		if bytes == 0 {
			return nil
		}
		return d.readIndex(o)
	}
	return nil
}

// maxChunk is HDF5's limit on the bytes of one chunk.
const maxChunk = 1<<32 - 1

// grid is the number of chunks along each dimension.
func (d *Dataset) grid() []uint64 {
	g := make([]uint64, len(d.Dims))
	for i, n := range d.Dims {
		c := d.layout.chunk[i]
		g[i] = n/c + min(n%c, 1)
	}
	return g
}

// chunkBytes is the size of one chunk, unfiltered.
func (d *Dataset) chunkBytes() uint64 {
	n, _ := elements(d.layout.chunk)
	return n * uint64(d.Type.Size)
}

// readIndex reads the chunk index into d.chunks, keyed by the chunk's
// linear (row-major) index in the chunk grid.
func (d *Dataset) readIndex(o *object) error {
	d.chunks = map[uint64]chunkRec{}
	l := &d.layout
	var err error
	switch l.index {
	case indexBTree1:
		err = d.indexBTree1()
	case indexSingle:
		rec := chunkRec{addr: l.addr, size: d.chunkBytes()}
		if len(d.filters) > 0 {
			rec.size, rec.mask = l.single.size, l.single.mask
		}
		d.chunks[0] = rec
	case indexFixedArray:
		err = d.indexFixedArray()
	case indexBTree2:
		err = d.indexBTree2()
	}
	if err != nil {
		return o.wrap(err)
	}
	// Every chunk must be stored: this bounds the declared dimensions by
	// what the file holds, and chunks never written are refused here.
	if n, ok := elements(d.grid()); !ok || n != uint64(len(d.chunks)) {
		return o.errf(o.at, "chunk index holds %d chunks, want all %d of the chunk grid %v (chunks never written?)", len(d.chunks), n, d.grid())
	}
	return nil
}

// add records the chunk whose first element is at scaled (chunk-grid)
// coordinates s, refusing coordinates outside the grid and duplicates.
func (d *Dataset) add(s []uint64, rec chunkRec) error {
	g := d.grid()
	var k uint64
	for i, x := range s {
		if x >= g[i] {
			return d.f.errf(d.Path, int64(min(rec.addr, uint64(d.f.size))), "chunk at grid position %v, outside the grid %v of the dataset", s, g)
		}
		k = k*g[i] + x
	}
	if _, dup := d.chunks[k]; dup {
		return d.f.errf(d.Path, int64(min(rec.addr, uint64(d.f.size))), "chunk at grid position %v indexed twice", s)
	}
	d.chunks[k] = rec
	return nil
}

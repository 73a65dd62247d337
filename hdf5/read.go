package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
)

// Read streams the dataset's values in row-major order, as stored (see
// Type for their byte order): fn gets whole rows of dimension 0 (the
// product of Dims[1:] values each), at most maxRows at a time, in a slice
// reused after fn returns. Reading stops at fn's first error, which Read
// returns. Memory is one chunk per worker (chunked datasets, decoded on up
// to GOMAXPROCS goroutines when compressed) or maxRows rows.
func (d *Dataset) Read(maxRows int, fn func(b []byte) error) error {
	row := d.rowBytes()
	emit := func(b []byte) error {
		step := max(maxRows, 1) * row
		for lo := 0; lo < len(b); lo += step {
			if err := fn(b[lo:min(lo+step, len(b))]); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case d.Dims[0] == 0 || row == 0:
		return nil
	case d.layout.class == compact:
		return emit(d.layout.data)
	case d.layout.class == contiguous:
		return d.readContiguous(max(maxRows, 1), fn)
	}
	workers := 1
	if len(d.filters) > 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return d.readBands(workers, emit)
}

// rowBytes is the size of one row of dimension 0.
func (d *Dataset) rowBytes() int {
	n, _ := elements(d.Dims[1:])
	return int(n) * d.Type.Size
}

// readContiguous reads maxRows rows at a time into one buffer.
func (d *Dataset) readContiguous(maxRows int, fn func([]byte) error) error {
	row := uint64(d.rowBytes())
	rows := min(uint64(maxRows), d.Dims[0])
	buf := make([]byte, rows*row)
	start, _ := d.f.abs(d.layout.addr, "data")
	for done := uint64(0); done < d.Dims[0]; done += rows {
		rows = min(rows, d.Dims[0]-done)
		b := buf[:rows*row]
		off := start + int64(done*row)
		if _, err := d.f.r.ReadAt(b, off); err != nil {
			return d.f.errf(d.Path, off, "reading %d rows: %v", rows, err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// band is the decoding state of one worker: the rows of one band of chunks
// (chunk[0] rows of dimension 0) and scratch buffers.
type band struct {
	out, chunk, raw, tmp []byte
	z                    io.ReadCloser
	err                  error
}

// readBands decodes the bands of chunks in order on up to workers
// goroutines and passes each band's valid rows to emit in order.
func (d *Dataset) readBands(workers int, emit func([]byte) error) error {
	c0 := d.layout.chunk[0]
	nb := d.grid()[0]
	if workers <= 1 || nb == 1 {
		var b band
		for i := range nb {
			if err := d.decodeBand(i, &b); err != nil {
				return err
			}
			if err := emit(b.out[:d.validRows(i, c0)*uint64(d.rowBytes())]); err != nil {
				return err
			}
		}
		return nil
	}
	free := make(chan *band, workers+1)
	for range workers + 1 {
		free <- new(band)
	}
	pending := make(chan chan *band, workers)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(pending)
		for i := range nb {
			var b *band
			select {
			case b = <-free:
			case <-done:
				return
			}
			ch := make(chan *band, 1)
			select {
			case pending <- ch:
			case <-done:
				return
			}
			go func() { b.err = d.decodeBand(i, b); ch <- b }()
		}
	}()
	i := uint64(0)
	for ch := range pending {
		b := <-ch
		if b.err != nil {
			return b.err
		}
		if err := emit(b.out[:d.validRows(i, c0)*uint64(d.rowBytes())]); err != nil {
			return err
		}
		free <- b
		i++
	}
	return nil
}

// validRows is the number of rows of band i inside the dataset.
func (d *Dataset) validRows(i, c0 uint64) uint64 { return min(c0, d.Dims[0]-i*c0) }

// decodeBand decodes the chunks of band i into b.out: chunk[0] rows.
func (d *Dataset) decodeBand(i uint64, b *band) error {
	g := d.grid()
	cb := d.chunkBytes()
	across, _ := elements(g[1:])
	if across == 1 { // a chunk spans whole rows: decode in place
		return d.decodeChunk(i, b, &b.out, cb)
	}
	for j := range across { // all there and sized as stored before the band is allocated
		if _, _, err := d.chunk(i*across+j, cb); err != nil {
			return err
		}
	}
	row := uint64(d.rowBytes())
	b.out = grow(b.out, d.layout.chunk[0]*row)
	for j := range across {
		if err := d.decodeChunk(i*across+j, b, &b.chunk, cb); err != nil {
			return err
		}
		d.place(b.out, b.chunk, j, g)
	}
	return nil
}

// place copies chunk j of a band (its position among the band's chunks in
// row-major order of dimensions 1…) from chunk into the band's rows.
func (d *Dataset) place(out, chunk []byte, j uint64, g []uint64) {
	rank := len(d.Dims)
	start := make([]uint64, rank) // the chunk's first element in the band
	for k := rank - 1; k >= 1; k-- {
		start[k], j = j%g[k]*d.layout.chunk[k], j/g[k]
	}
	size := uint64(d.Type.Size)
	var copyDim func(k int, src, dst uint64)
	copyDim = func(k int, src, dst uint64) {
		n := d.layout.chunk[k]
		if k > 0 {
			n = min(n, d.Dims[k]-start[k])
		}
		srcStride, dstStride := size, size
		for m := k + 1; m < rank; m++ {
			srcStride *= d.layout.chunk[m]
			dstStride *= d.Dims[m]
		}
		if k == rank-1 {
			copy(out[dst+start[k]*size:], chunk[src:src+n*size])
			return
		}
		for x := range n {
			copyDim(k+1, src+x*srcStride, dst+(start[k]+x)*dstStride)
		}
	}
	copyDim(0, 0, 0)
}

// chunk returns the index record of chunk k and its file offset, checking
// that the chunk lies in the file and that its stored size can hold the cb
// bytes of a chunk: the same (unfiltered), or at least 1/1032 of it (deflate
// expands at most 1032-fold), so that no buffer exceeds what the file holds.
func (d *Dataset) chunk(k, cb uint64) (chunkRec, int64, error) {
	rec := d.chunks[k] // all there: see readIndex
	off, err := d.f.abs(rec.addr, "chunk")
	if err != nil || rec.size > uint64(d.f.size-off) {
		return rec, 0, d.f.errf(d.Path, int64(min(rec.addr, uint64(d.f.size))), "chunk %d of %d bytes at address %#x runs past the end of the %d-byte file", k, rec.size, rec.addr, d.f.size)
	}
	if len(d.active(rec.mask)) == 0 && rec.size != cb {
		return rec, 0, d.f.errf(d.Path, off, "unfiltered chunk %d of %d bytes, want %d", k, rec.size, cb)
	}
	if rec.size*1032+1024 < cb {
		return rec, 0, d.f.errf(d.Path, off, "chunk %d of %d stored bytes cannot hold %d bytes", k, rec.size, cb)
	}
	return rec, off, nil
}

// decodeChunk reads chunk k and undoes its filters into *dst (cb bytes).
func (d *Dataset) decodeChunk(k uint64, b *band, dst *[]byte, cb uint64) error {
	rec, off, err := d.chunk(k, cb)
	if err != nil {
		return err
	}
	active := d.active(rec.mask)
	if len(active) == 0 {
		*dst = grow(*dst, cb)
		_, err := d.f.r.ReadAt(*dst, off)
		return d.ioErr(off, err)
	}
	b.raw = grow(b.raw, rec.size)
	if _, err := d.f.r.ReadAt(b.raw, off); err != nil {
		return d.ioErr(off, err)
	}
	return d.unfilter(b, active, dst, cb, off)
}

// active lists the pipeline's filters that a chunk with filter mask went
// through, in the order they were applied.
func (d *Dataset) active(mask uint32) []filter {
	var fs []filter
	for i, f := range d.filters {
		if i >= 32 || mask>>i&1 == 0 {
			fs = append(fs, f)
		}
	}
	return fs
}

// unfilter undoes the filters fs, last first, from b.raw into *dst (cb
// bytes), passing intermediate results between b.raw and b.tmp.
func (d *Dataset) unfilter(b *band, fs []filter, dst *[]byte, cb uint64, off int64) error {
	bufs, cur := [2]*[]byte{&b.raw, &b.tmp}, 0
	for i := len(fs) - 1; i >= 0; i-- {
		src, out := *bufs[cur], bufs[1-cur]
		if i == 0 {
			out = dst
		}
		*out = grow(*out, cb)
		var err error
		switch fs[i].id {
		case filterDeflate:
			err = b.inflate(src, *out)
		case filterShuffle:
			if uint64(len(src)) != cb {
				err = fmt.Errorf("%d bytes to unshuffle, want %d", len(src), cb)
			} else {
				unshuffle(*out, src, d.Type.Size)
			}
		}
		if err != nil {
			return d.f.errf(d.Path, off, "chunk: %s filter: %v", map[int]string{filterDeflate: "deflate", filterShuffle: "shuffle"}[fs[i].id], err)
		}
		cur = 1 - cur
	}
	return nil
}

// inflate decompresses the zlib stream src (what HDF5's deflate filter
// writes) into out, which it must fill exactly; the stream's checksum is
// verified.
func (b *band) inflate(src, out []byte) error {
	r := bytes.NewReader(src)
	if b.z == nil {
		z, err := zlib.NewReader(r)
		if err != nil {
			return err
		}
		b.z = z
	} else if err := b.z.(zlib.Resetter).Reset(r, nil); err != nil {
		return err
	}
	if _, err := io.ReadFull(b.z, out); err != nil {
		return fmt.Errorf("%v after %d of the chunk's %d bytes", err, len(out)-r.Len(), len(out))
	}
	var extra [1]byte
	if n, err := b.z.Read(extra[:]); n > 0 {
		return fmt.Errorf("the stream holds more than the chunk's %d bytes", len(out))
	} else if err != io.EOF {
		return err
	}
	return nil
}

// unshuffle undoes the shuffle filter: src holds byte 0 of every value,
// then byte 1 of every value, …; bytes past the last whole value are left
// as they are. Values of 4 and 8 bytes, what positions are, are gathered
// into one store each (five times faster than a byte at a time).
func unshuffle(dst, src []byte, size int) {
	n := len(src) / size
	switch size {
	case 4:
		p0, p1, p2, p3, d := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n], dst[:4*n]
		for i := range p0 {
			binary.LittleEndian.PutUint32(d[4*i:], uint32(p0[i])|uint32(p1[i])<<8|uint32(p2[i])<<16|uint32(p3[i])<<24)
		}
	case 8:
		var p [8][]byte
		for j := range p {
			p[j] = src[j*n : (j+1)*n]
		}
		d := dst[:8*n]
		for i := range n {
			var v uint64
			for j := range 8 {
				v |= uint64(p[j][i]) << (8 * j)
			}
			binary.LittleEndian.PutUint64(d[8*i:], v)
		}
	default:
		for j := range size {
			for i, x := range src[j*n : (j+1)*n] {
				dst[i*size+j] = x
			}
		}
	}
	copy(dst[n*size:], src[n*size:])
}

func (d *Dataset) ioErr(off int64, err error) error {
	if err != nil {
		return d.f.errf(d.Path, off, "reading a chunk: %v", err)
	}
	return nil
}

// grow returns b resized to n bytes, reallocated only when too small.
func grow(b []byte, n uint64) []byte {
	if uint64(cap(b)) < n {
		return make([]byte, n)
	}
	return b[:n]
}

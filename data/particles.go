// Particle sources for `prepare`: positions are read in chunks of bounded
// size, so a snapshot larger than memory goes to a grid with the grid plus
// one chunk resident.

package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// Particles is a stream of particle positions in a periodic box.
type Particles interface {
	Dim() int         // coordinates per particle: 2 or 3
	Box() float64     // side of the periodic box, in the unit of the positions
	Count() int64     // particles Each delivers
	Inputs() []string // files read, in order
	Describe() string // a short description for provenance records
	// Each calls fn with consecutive chunks of at most chunk particles
	// (Dim() coordinates each, as float64); the slice is reused after fn
	// returns. Reading stops at fn's first error, which Each returns.
	// Non-finite coordinates are errors naming the file and offset.
	Each(chunk int, fn func(pos []float64) error) error
}

// DefaultChunk is the number of particles read at a time: 6 MiB of float64
// coordinates in 3D. The per-chunk buffers of NGP (about 32 bytes a
// particle) then stay in the last-level cache; their pages are faulted in
// once each, and 1 << 20 measured 6000 more page faults for 16.7M
// particles and was no faster.
const DefaultChunk = 1 << 18

// Snapshot is a GADGET-2 snapshot of one or more files, read lazily: opening
// reads only the headers and locates the position blocks.
type Snapshot struct {
	Header GadgetHeader // header of the first file
	Types  uint8        // bit t selects particle type t (default 1<<1: dark matter)
	files  []*gadgetFile
}

// OpenGadget opens the GADGET-2 snapshot path: a file, or the base name of
// a multi-file snapshot (path.0, path.1, …; giving path.0 itself works too).
// types selects particle types by bit (0 means dark matter only, 1<<1). It
// checks every file's record markers and that the particle counts of the
// headers agree with the position blocks and across files (Σ Npart = Nall).
func OpenGadget(path string, types uint8) (*Snapshot, error) {
	if types == 0 {
		types = 1 << 1
	}
	if types>>6 != 0 {
		return nil, fmt.Errorf("particle types %#b, want bits 0..5: %w", types, ErrBadInput)
	}
	s := &Snapshot{Types: types}
	first, base := path, ""
	if _, err := os.Stat(path); err != nil {
		if _, err0 := os.Stat(path + ".0"); err0 != nil {
			return nil, fmt.Errorf("snapshot %s: %w (nor is there a multi-file %s.0): %w", path, err, path, ErrBadInput)
		}
		first, base = path+".0", path
	} else if strings.HasSuffix(path, ".0") {
		base = strings.TrimSuffix(path, ".0")
	}
	g, err := openGadget(first)
	if err != nil {
		return nil, err
	}
	s.Header, s.files = g.hdr, []*gadgetFile{g}
	nf := int(g.hdr.NumFiles)
	if nf > 1 && base == "" {
		return nil, fmt.Errorf("%s: header NumFiles %d, but the name does not end in .0; give the base name of the multi-file snapshot: %w", path, nf, ErrBadInput)
	}
	for i := 1; i < nf; i++ {
		g, err := openGadget(base + "." + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		if g.hdr.NumFiles != int32(nf) || g.hdr.Nall != s.Header.Nall || g.hdr.BoxSize != s.Header.BoxSize {
			return nil, fmt.Errorf("%s: header NumFiles %d, Nall %v, BoxSize %g disagree with %s's %d, %v, %g: %w",
				g.path, g.hdr.NumFiles, g.hdr.Nall, g.hdr.BoxSize, first, nf, s.Header.Nall, s.Header.BoxSize, ErrBadInput)
		}
		s.files = append(s.files, g)
	}
	var sum [6]uint64
	for _, g := range s.files {
		for t, n := range g.hdr.Npart {
			sum[t] += uint64(n)
		}
	}
	if sum != s.Header.Nall {
		return nil, fmt.Errorf("%s: Npart summed over %d file(s) is %v, but the header's Nall is %v: %w", path, nf, sum, s.Header.Nall, ErrBadInput)
	}
	return s, nil
}

func openGadget(path string) (*gadgetFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w: %w", err, ErrBadInput)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return parseGadget(path, f, st.Size())
}

// Dim is 3: GADGET-2 positions are 3D.
func (s *Snapshot) Dim() int { return 3 }

// Box is the header's BoxSize.
func (s *Snapshot) Box() float64 { return s.Header.BoxSize }

// Count is the number of particles of the selected types in all files.
func (s *Snapshot) Count() int64 {
	var n int64
	for t := range 6 {
		if s.Types>>t&1 == 1 {
			n += int64(s.Header.Nall[t])
		}
	}
	return n
}

// Inputs lists the snapshot's files.
func (s *Snapshot) Inputs() []string {
	var p []string
	for _, g := range s.files {
		p = append(p, g.path)
	}
	return p
}

// Describe names the format and the selected types.
func (s *Snapshot) Describe() string {
	return fmt.Sprintf("GADGET-2 SnapFormat %d, %s endian, types %06b", s.files[0].format,
		map[bool]string{true: "little", false: "big"}[s.files[0].order == binary.LittleEndian], s.Types)
}

// Each streams the positions of the selected types, file by file, type by type.
func (s *Snapshot) Each(chunk int, fn func(pos []float64) error) error {
	return eachDecoded(s, chunk, fn)
}

// eachRaw streams the position blocks of the selected types as stored.
func (s *Snapshot) eachRaw(chunk int, fn func(rawChunk) error) error {
	buf := make([]byte, 3*8*max(chunk, 1))
	for _, g := range s.files {
		if err := s.eachFile(g, buf, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Snapshot) eachFile(g *gadgetFile, buf []byte, fn func(rawChunk) error) error {
	f, err := os.Open(g.path)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	return g.each(f, s.Types, buf, fn)
}

// each streams the positions of the selected types of one file from r, in
// chunks of up to len(buf)/24 particles.
func (g *gadgetFile) each(r io.ReaderAt, types uint8, buf []byte, fn func(rawChunk) error) error {
	chunk := len(buf) / 24
	var first int64 // index of the first particle of type t in the block
	for t, n := range g.hdr.Npart {
		if types>>t&1 == 0 {
			first += int64(n)
			continue
		}
		for done := int64(0); done < int64(n); {
			m := int(min(int64(chunk), int64(n)-done))
			off := g.pos + (first+done)*3*int64(g.width)
			b := buf[:3*m*g.width]
			if err := readFull(r, b, off, g.size); err != nil {
				return gadgetErr(g.path, off, "reading %d positions: %v", m, err)
			}
			c := rawChunk{b: b, dim: 3, order: g.order, width: g.width, bad: func(i int, v float64) error {
				return gadgetErr(g.path, off+int64(i*g.width), "position %d of type %d is %v, want a finite coordinate", done+int64(i/3), t, v)
			}}
			if err := fn(c); err != nil {
				return err
			}
			done += int64(m)
		}
		first += int64(n)
	}
	return nil
}

// rawChunk is consecutive particle positions as a file stores them: dim
// coordinates of width bytes (4: float32, 8: float64) each, in byte order
// order. Streaming these lets NGP compute cells straight from the stored
// values, without a decoded float64 copy of every chunk.
type rawChunk struct {
	b          []byte
	dim, width int
	order      binary.ByteOrder
	bad        func(i int, v float64) error // the error for coordinate i, non-finite value v
}

// decode converts the chunk into dst (one float64 per coordinate) and
// returns the error for the first non-finite coordinate, if any.
func (c rawChunk) decode(dst []float64) error {
	if err := decodeFloats(dst, c.b, c.order, c.width); err != nil {
		i := err.(badFloat).index
		return c.bad(i, dst[i])
	}
	return nil
}

// float32s returns the chunk's values as a []float32 sharing its bytes, or
// nil where they cannot be: values not little-endian float32, a big-endian
// machine, or bytes not aligned for float32 (chunk buffers are: they start
// a fresh allocation). Sharing saves a decoding pass over every position.
func (c rawChunk) float32s() []float32 {
	if c.width != 4 || c.order != binary.LittleEndian || !littleEndianHost || len(c.b) < 4 ||
		uintptr(unsafe.Pointer(unsafe.SliceData(c.b)))%unsafe.Alignof(float32(0)) != 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(c.b))), len(c.b)/4)
}

// littleEndianHost says whether this machine stores numbers little-endian.
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// rawParticles are the particle sources that stream rawChunks: eachRaw
// calls fn with consecutive chunks of at most chunk particles, whose bytes
// are reused after fn returns, and stops at fn's first error.
type rawParticles interface {
	Particles
	eachRaw(chunk int, fn func(rawChunk) error) error
}

// eachDecoded is Particles.Each for a rawParticles.
func eachDecoded(p rawParticles, chunk int, fn func(pos []float64) error) error {
	pos := make([]float64, p.Dim()*max(chunk, 1))
	return p.eachRaw(chunk, func(c rawChunk) error {
		q := pos[:len(c.b)/c.width]
		if err := c.decode(q); err != nil {
			return err
		}
		return fn(q)
	})
}

// badFloat reports the index of a non-finite value.
type badFloat struct{ index int }

func (badFloat) Error() string { return "non-finite value" }

// decodeFloats converts raw float32 or float64 values (width 4 or 8) to
// float64, returning a badFloat at the first NaN or infinity.
func decodeFloats(dst []float64, b []byte, o binary.ByteOrder, width int) error {
	// Concrete byte orders, so the loads inline.
	switch {
	case width == 4 && o == binary.LittleEndian:
		decode(dst, b, 4, func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) })
	case width == 4:
		decode(dst, b, 4, func(b []byte) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(b))) })
	case o == binary.LittleEndian:
		decode(dst, b, 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) })
	default:
		decode(dst, b, 8, func(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) })
	}
	for i, v := range dst {
		if v-v != 0 {
			return badFloat{i}
		}
	}
	return nil
}

func decode(dst []float64, b []byte, width int, at func([]byte) float64) {
	for i := range dst {
		dst[i] = at(b[width*i:])
	}
}

// NPYParticles is a .npy file of positions, shape (n, 2) or (n, 3), float32
// or float64, in a periodic box of side box.
type NPYParticles struct {
	path string
	box  float64
	h    npyHeader
}

// OpenParticlesNPY reads the header of the .npy particle file path and
// checks its shape and size; box is the side of the periodic box.
func OpenParticlesNPY(path string, box float64) (*NPYParticles, error) {
	if !(box > 0) || math.IsInf(box, 0) {
		return nil, fmt.Errorf("%s: box size %g, want a positive finite --box: %w", path, box, ErrBadInput)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("particles: %w: %w", err, ErrBadInput)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	h, err := readNPYHeader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, err, ErrBadInput)
	}
	if len(h.shape) != 2 || (h.shape[1] != 2 && h.shape[1] != 3) || h.shape[0] == 0 {
		return nil, fmt.Errorf("%s: particle array of shape %v, want (n, 2) or (n, 3) with n > 0: %w", path, h.shape, ErrBadInput)
	}
	if need := h.bytes + int64(h.count)*int64(h.width); st.Size() < need {
		return nil, fmt.Errorf("%s: offset %d: truncated: shape %v of %s needs %d bytes, file has %d: %w",
			path, st.Size(), h.shape, h.descr, need, st.Size(), ErrBadInput)
	}
	return &NPYParticles{path: path, box: box, h: h}, nil
}

// Dim is the second dimension of the array.
func (p *NPYParticles) Dim() int { return p.h.shape[1] }

// Box is the box side given to OpenParticlesNPY.
func (p *NPYParticles) Box() float64 { return p.box }

// Count is the first dimension of the array.
func (p *NPYParticles) Count() int64 { return int64(p.h.shape[0]) }

// Inputs is the file.
func (p *NPYParticles) Inputs() []string { return []string{p.path} }

// Describe names the format.
func (p *NPYParticles) Describe() string {
	return fmt.Sprintf(".npy positions %s %v", p.h.descr, p.h.shape)
}

// Each streams the rows of the array.
func (p *NPYParticles) Each(chunk int, fn func(pos []float64) error) error {
	return eachDecoded(p, chunk, fn)
}

// eachRaw streams the rows of the array as stored.
func (p *NPYParticles) eachRaw(chunk int, fn func(rawChunk) error) error {
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("particles: %w", err)
	}
	defer f.Close()
	d := p.Dim()
	chunk = max(chunk, 1)
	buf := make([]byte, d*p.h.width*chunk)
	n := p.h.shape[0]
	for done := 0; done < n; {
		m := min(chunk, n-done)
		off := p.h.bytes + int64(done*d*p.h.width)
		b := buf[:d*m*p.h.width]
		if _, err := f.ReadAt(b, off); err != nil {
			return fmt.Errorf("%s: offset %d: reading %d positions: %v: %w", p.path, off, m, err, ErrBadInput)
		}
		c := rawChunk{b: b, dim: d, order: p.h.order, width: p.h.width, bad: func(i int, v float64) error {
			return fmt.Errorf("%s: offset %d: particle %d has coordinate %v, want finite: %w",
				p.path, off+int64(i*p.h.width), done+i/d, v, ErrBadInput)
		}}
		if err := fn(c); err != nil {
			return err
		}
		done += m
	}
	return nil
}

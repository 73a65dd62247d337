package hdf5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Signature is the 8 bytes that begin an HDF5 superblock, found at offset
// 0, 512, 1024, 2048, … of a file.
const Signature = "\x89HDF\r\n\x1a\n"

// undefined is the "undefined address" of the format: all bits set.
const undefined = ^uint64(0)

// Error is a file that does not follow the format, or uses a part of it
// this package does not read. Object is the path of the object concerned
// ("" for the file's own structures) and Offset the byte offset in the
// file where the problem lies.
type Error struct {
	File, Object string
	Offset       int64
	Msg          string
	notFound     bool // the object or attribute does not exist
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Object != "" {
		fmt.Fprintf(&b, ": %s", e.Object)
	}
	fmt.Fprintf(&b, ": offset %d: %s", e.Offset, e.Msg)
	return b.String()
}

// File is an open HDF5 file: its superblock and how it encodes addresses.
type File struct {
	r       io.ReaderAt
	size    int64
	name    string
	offSize int    // bytes of an address: 2, 4 or 8
	lenSize int    // bytes of a length: 2, 4 or 8
	base    uint64 // absolute offset that addresses are relative to
	root    uint64 // address of the root group's object header
	// rootTable is the root group's symbol table (B-tree and local heap
	// addresses) cached in a version 0/1 superblock; zero when absent.
	rootTable [2]uint64
	Version   int // superblock version, 0 to 3
}

// IsHDF5 reports whether r begins with an HDF5 superblock at one of the
// offsets the format allows (0, 512, 1024, …), as `prepare` detects the
// format from a file's content rather than its name.
func IsHDF5(r io.ReaderAt, size int64) bool {
	_, ok := findSignature(r, size)
	return ok
}

func findSignature(r io.ReaderAt, size int64) (int64, bool) {
	var sig [8]byte
	for off := int64(0); off+8 <= size; off = max(512, 2*off) {
		if _, err := r.ReadAt(sig[:], off); err != nil {
			return 0, false
		}
		if string(sig[:]) == Signature {
			return off, true
		}
	}
	return 0, false
}

// Open reads the superblock of the HDF5 file r of size bytes; name is how
// errors call the file.
func Open(r io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{r: r, size: size, name: name, offSize: 8, lenSize: 8}
	at, ok := findSignature(r, size)
	if !ok {
		return nil, f.errf("", 0, "no HDF5 signature %q at offset 0, 512, 1024, …: not an HDF5 file", Signature)
	}
	b, err := f.readAbs(at, min(128, size-at), "superblock")
	if err != nil {
		return nil, err
	}
	c := f.cursor(b, at)
	c.skip(8)
	f.Version = int(c.u8())
	switch f.Version {
	case 0, 1:
		err = f.superblock01(c)
	case 2, 3:
		err = f.superblock23(c)
	default:
		return nil, f.errf("", at+8, "superblock version %d, want 0 to 3", f.Version)
	}
	if err != nil {
		return nil, err
	}
	if f.base > uint64(size) {
		return nil, f.errf("", at, "base address %d lies past the end of the %d-byte file", f.base, size)
	}
	return f, nil
}

// superblock01 reads the rest of a version 0 or 1 superblock, whose root
// group is a symbol table entry.
func (f *File) superblock01(c *cursor) error {
	c.skip(4) // free-space, root group and shared header versions, reserved
	if err := f.sizes(c, c.u8(), c.u8()); err != nil {
		return err
	}
	c.skip(1 + 2 + 2 + 4) // reserved, group leaf and internal K, flags
	if f.Version == 1 {
		c.skip(4) // indexed storage internal K, reserved
	}
	f.base = c.addr()
	c.skip(3 * f.offSize) // free space, end of file, driver information
	c.skip(f.offSize)     // root entry: link name offset
	f.root = c.addr()
	if cache := c.u32(); cache == 1 {
		c.skip(4)
		f.rootTable = [2]uint64{c.addr(), c.addr()}
	}
	return c.check("superblock")
}

// superblock23 reads the rest of a version 2 or 3 superblock.
func (f *File) superblock23(c *cursor) error {
	if err := f.sizes(c, c.u8(), c.u8()); err != nil {
		return err
	}
	c.skip(1) // consistency flags
	f.base = c.addr()
	c.skip(2 * f.offSize) // superblock extension, end of file
	f.root = c.addr()
	return c.check("superblock")
}

// sizes sets the widths of addresses and lengths, which must be 2, 4 or 8.
func (f *File) sizes(c *cursor, off, length uint8) error {
	for _, s := range []uint8{off, length} {
		if s != 2 && s != 4 && s != 8 {
			return f.errf("", c.offset(), "superblock address/length sizes %d/%d, want 2, 4 or 8", off, length)
		}
	}
	f.offSize, f.lenSize = int(off), int(length)
	return c.check("superblock")
}

// errf makes an *Error about object at offset off.
func (f *File) errf(object string, off int64, format string, args ...any) *Error {
	return &Error{File: f.name, Object: object, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// readAbs reads n bytes at absolute offset off, refusing a range that is
// not inside the file before anything is allocated.
func (f *File) readAbs(off, n int64, what string) ([]byte, error) {
	if off < 0 || n < 0 || off > f.size || n > f.size-off {
		return nil, f.errf("", off, "%s of %d bytes runs past the end of the %d-byte file (truncated?)", what, n, f.size)
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, off); err != nil && err != io.EOF {
		return nil, f.errf("", off, "reading %s: %v", what, err)
	}
	return b, nil
}

// abs converts the address addr to an absolute offset, refusing the
// undefined address and any address outside the file.
func (f *File) abs(addr uint64, what string) (int64, error) {
	if addr == undefined || addr > uint64(f.size) || f.base+addr > uint64(f.size) {
		return 0, f.errf("", int64(min(addr, uint64(f.size))), "%s at address %#x, which is not inside the %d-byte file", what, addr, f.size)
	}
	return int64(f.base + addr), nil
}

// read reads n bytes at address addr.
func (f *File) read(addr, n uint64, what string) ([]byte, *cursor, error) {
	off, err := f.abs(addr, what)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(f.size) {
		return nil, nil, f.errf("", off, "%s of %d bytes is larger than the %d-byte file", what, n, f.size)
	}
	b, err := f.readAbs(off, int64(n), what)
	if err != nil {
		return nil, nil, err
	}
	return b, f.cursor(b, off), nil
}

// readSome reads up to n bytes at address addr (fewer where the file ends
// first), for structures whose length is known only once their start is
// decoded.
func (f *File) readSome(addr, n uint64, what string) (*cursor, error) {
	off, err := f.abs(addr, what)
	if err != nil {
		return nil, err
	}
	b, err := f.readAbs(off, min(int64(n), f.size-off), what)
	if err != nil {
		return nil, err
	}
	return f.cursor(b, off), nil
}

// signature reads a structure's 4-byte signature and checks it.
func (c *cursor) signature(sig, what string) error {
	at := c.offset()
	if got := c.bytes(4); c.err == nil && !bytes.Equal(got, []byte(sig)) {
		return c.f.errf("", at, "%s signature %q, want %q", what, got, sig)
	}
	return c.check(what)
}

// cursor decodes little-endian fields from a buffer read at offset at of
// the file. Reading past the end sets err (reported by check) and returns
// zeros, so a decoder checks once at its end.
type cursor struct {
	f   *File
	b   []byte
	p   int
	at  int64
	err error
}

func (f *File) cursor(b []byte, at int64) *cursor { return &cursor{f: f, b: b, at: at} }

// offset is the file offset of the next byte.
func (c *cursor) offset() int64 { return c.at + int64(c.p) }

// bytes returns the next n bytes (nil once past the end).
func (c *cursor) bytes(n int) []byte {
	if c.err != nil || n < 0 || n > len(c.b)-c.p {
		if c.err == nil {
			c.err = c.f.errf("", c.offset(), "%d bytes wanted, %d left", n, len(c.b)-c.p)
		}
		return nil
	}
	c.p += n
	return c.b[c.p-n : c.p]
}

func (c *cursor) skip(n int)  { c.bytes(n) }
func (c *cursor) u8() uint8   { return uint8(c.uint(1)) }
func (c *cursor) u16() int    { return int(c.uint(2)) }
func (c *cursor) u32() uint32 { return uint32(c.uint(4)) }

// addr reads an address; all ones, whatever the width, is undefined.
func (c *cursor) addr() uint64 {
	x := c.uint(c.f.offSize)
	if c.f.offSize < 8 && x == 1<<(8*c.f.offSize)-1 {
		return undefined
	}
	return x
}

func (c *cursor) length() uint64 { return c.uint(c.f.lenSize) }

// uint reads an n-byte little-endian unsigned integer, n ≤ 8.
func (c *cursor) uint(n int) uint64 {
	b := c.bytes(n)
	if b == nil || n > 8 {
		return 0
	}
	var v [8]byte
	copy(v[:], b)
	return binary.LittleEndian.Uint64(v[:])
}

// check returns the error of a read past the end, naming what was decoded.
func (c *cursor) check(what string) error {
	if c.err != nil {
		e := c.err.(*Error)
		return c.f.errf("", e.Offset, "%s cut short: %s", what, e.Msg)
	}
	return nil
}

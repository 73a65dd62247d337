package hdf5

// Datatype, dataspace and attribute messages (format specification
// §IV.A.2.b, .d and .m): the numeric types snapshots use (integers and
// IEEE floats of either byte order), simple and scalar dataspaces, and
// attributes stored in an object header or in its dense storage.

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrNotFound is wrapped by the *Error for a member or attribute that does
// not exist, so callers can tell an optional attribute's absence from a
// damaged file.
var ErrNotFound = errors.New("not found")

// Unwrap gives ErrNotFound for an object or attribute that is missing.
func (e *Error) Unwrap() error {
	if e.notFound {
		return ErrNotFound
	}
	return nil
}

// missing makes the ErrNotFound error of a member or attribute of o.
func (o *object) missing(format string, args ...any) *Error {
	e := o.errf(o.at, format, args...)
	e.notFound = true
	return e
}

// Class is the kind of a numeric datatype.
type Class int

const (
	Integer Class = 0 // fixed-point
	Float   Class = 1 // IEEE 754 binary32 or binary64
)

// Type is a numeric datatype: integers of 1, 2, 4 or 8 bytes, or floats of
// 4 or 8, little- or big-endian.
type Type struct {
	Class     Class
	Size      int
	BigEndian bool
	Signed    bool // integers
}

// Order is the byte order of values of t.
func (t Type) Order() binary.ByteOrder {
	if t.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// datatype decodes a datatype message of the object o.
func (o *object) datatype(m *message) (Type, error) {
	c := o.cursor(m)
	if m.flags&msgShared != 0 {
		return Type{}, o.errf(m.at, "shared (committed) datatype: want the datatype stored in the object")
	}
	cv := c.u8()
	bits := c.bytes(3)
	t := Type{Class: Class(cv & 15), Size: int(c.u32())}
	if err := c.check("datatype message"); err != nil {
		return Type{}, o.wrap(err)
	}
	t.BigEndian, t.Signed = bits[0]&1 != 0, bits[0]&8 != 0
	switch {
	case t.Class == Integer && (t.Size == 1 || t.Size == 2 || t.Size == 4 || t.Size == 8):
		return t, nil
	case t.Class == Float && (t.Size == 4 || t.Size == 8) && bits[0]&0x40 == 0:
		c.skip(4) // bit offset, precision
		exp, expSize, mant, mantSize, bias := c.u8(), c.u8(), c.u8(), c.u8(), c.u32()
		want := map[int][5]uint32{4: {23, 8, 0, 23, 127}, 8: {52, 11, 0, 52, 1023}}[t.Size]
		if c.err == nil && [5]uint32{uint32(exp), uint32(expSize), uint32(mant), uint32(mantSize), bias} == want {
			return t, nil
		}
	}
	return Type{}, o.errf(m.at, "datatype of class %d and %d bytes: want an integer of 1, 2, 4 or 8 bytes or an IEEE float of 4 or 8", t.Class, t.Size)
}

// maxRank bounds the dimensions of a dataspace, as HDF5 does.
const maxRank = 32

// dataspace decodes a dataspace message: the dimensions (none for a
// scalar).
func (o *object) dataspace(m *message) ([]uint64, error) {
	c := o.cursor(m)
	if m.flags&msgShared != 0 {
		return nil, o.errf(m.at, "shared dataspace: want the dataspace stored in the object")
	}
	v, rank := c.u8(), int(c.u8())
	c.skip(1) // flags: maximum dimensions and permutations follow, unused
	switch v {
	case 1:
		c.skip(5)
	case 2:
		if typ := c.u8(); typ == 2 {
			return nil, o.errf(m.at, "null dataspace: want a scalar or an array")
		}
	default:
		return nil, o.errf(m.at, "dataspace message version %d, want 1 or 2", v)
	}
	if rank > maxRank {
		return nil, o.errf(m.at, "dataspace of rank %d, want at most %d", rank, maxRank)
	}
	dims := make([]uint64, rank)
	for i := range dims {
		dims[i] = c.length()
	}
	return dims, o.wrap(c.check("dataspace message"))
}

// elements is the product of dims, or false if it overflows.
func elements(dims []uint64) (uint64, bool) {
	n := uint64(1)
	for _, d := range dims {
		if d != 0 && n > math.MaxUint64/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

package hdf5

import (
	"fmt"
	"math"
)

// Attribute is a numeric attribute: its type, dimensions (none for a
// scalar) and values as stored.
type Attribute struct {
	Name string
	Type Type
	Dims []uint64
	data []byte
}

// Attr returns the attribute name of the group or dataset at path. An
// attribute that does not exist is an *Error wrapping ErrNotFound.
func (f *File) Attr(path, name string) (*Attribute, error) {
	o, err := f.object(path)
	if err != nil {
		return nil, err
	}
	for i := range o.msgs {
		if m := &o.msgs[i]; m.typ == msgAttribute {
			if a, err := o.attribute(m.data, m.at, name); err != nil || a != nil {
				return a, err
			}
		}
	}
	if m := o.find(msgAttrInfo); m != nil {
		if a, err := o.denseAttr(m, name); err != nil || a != nil {
			return a, err
		}
	}
	return nil, o.missing("no attribute %q", name)
}

// denseAttr looks name up in the dense attribute storage of o.
func (o *object) denseAttr(m *message, name string) (*Attribute, error) {
	heap, tree, err := o.denseIndex(m, 8)
	if err != nil || heap == nil {
		return nil, err
	}
	a, _, err := firstMatch(o, func(found func(*Attribute) error) error {
		return tree.walk(func(rec []byte) error {
			if len(rec) < heap.idLen {
				return o.errf(heap.at, "attribute name index record of %d bytes, want %d", len(rec), heap.idLen)
			}
			b, err := heap.object(rec[:heap.idLen])
			if err != nil {
				return err
			}
			a, err := o.attribute(b, heap.at, name)
			if err == nil && a != nil {
				return found(a)
			}
			return err
		})
	})
	return a, err
}

// attribute decodes the attribute message b (at file offset at) if its
// name is name; nil if it is another.
func (o *object) attribute(b []byte, at int64, name string) (*Attribute, error) {
	c := o.f.cursor(b, at)
	v := c.u8()
	if v < 1 || v > 3 {
		return nil, o.errf(at, "attribute message version %d, want 1 to 3", v)
	}
	flags := c.u8()
	nameLen, typeLen, spaceLen := c.u16(), c.u16(), c.u16()
	if v == 3 {
		c.skip(1) // character set of the name
	}
	pad := func(n int) int {
		if v == 1 {
			return (n + 7) &^ 7
		}
		return n
	}
	raw := c.bytes(pad(nameLen))
	if err := c.check("attribute message"); err != nil {
		return nil, o.wrap(err)
	}
	if nameLen == 0 || string(raw[:nameLen-1]) != name {
		return nil, nil
	}
	a := &Attribute{Name: name}
	tm := message{typ: msgDatatype, flags: (flags & 1) << 1, at: c.offset(), data: c.bytes(pad(typeLen))}
	sm := message{typ: msgDataspace, flags: flags & 2, at: c.offset(), data: c.bytes(pad(spaceLen))}
	if err := c.check("attribute message"); err != nil {
		return nil, o.wrap(err)
	}
	var err error
	if a.Type, err = o.datatype(&tm); err != nil {
		return nil, o.attrErr(name, err)
	}
	if a.Dims, err = o.dataspace(&sm); err != nil {
		return nil, o.attrErr(name, err)
	}
	n, ok := elements(a.Dims)
	if !ok || n > uint64(len(c.b)) {
		return nil, o.errf(at, "attribute %q of dimensions %v does not fit its %d-byte message", name, a.Dims, len(c.b))
	}
	if a.data = c.bytes(int(n) * a.Type.Size); c.err != nil {
		return nil, o.errf(at, "attribute %q: %d values of %d bytes, want them in its %d-byte message", name, n, a.Type.Size, len(c.b))
	}
	return a, nil
}

// attrErr names the attribute in an error about its type or space.
func (o *object) attrErr(name string, err error) error {
	if e, ok := err.(*Error); ok {
		e.Msg = fmt.Sprintf("attribute %q: %s", name, e.Msg)
	}
	return err
}

// Float64s returns the values, integers converted to float64.
func (a *Attribute) Float64s() []float64 {
	v := make([]float64, len(a.data)/a.Type.Size)
	for i := range v {
		v[i] = a.value(i)
	}
	return v
}

// Uint64s returns the values of an integer attribute; a negative value or a
// float is an error.
func (a *Attribute) Uint64s() ([]uint64, error) {
	if a.Type.Class != Integer {
		return nil, fmt.Errorf("attribute %q is a float, want integers", a.Name)
	}
	v := make([]uint64, len(a.data)/a.Type.Size)
	for i := range v {
		x := a.uint(i)
		if a.Type.Signed && x>>(8*a.Type.Size-1)&1 != 0 {
			return nil, fmt.Errorf("attribute %q value %d is %g, want a count >= 0", a.Name, i, a.value(i))
		}
		v[i] = x
	}
	return v, nil
}

// uint is value i's bits, zero-extended.
func (a *Attribute) uint(i int) uint64 {
	b := a.data[i*a.Type.Size : (i+1)*a.Type.Size]
	var x uint64
	for j := range b {
		k := j
		if !a.Type.BigEndian {
			k = len(b) - 1 - j
		}
		x = x<<8 | uint64(b[k])
	}
	return x
}

// value is value i as a float64.
func (a *Attribute) value(i int) float64 {
	x, s := a.uint(i), a.Type.Size
	switch {
	case a.Type.Class == Float && s == 4:
		return float64(math.Float32frombits(uint32(x)))
	case a.Type.Class == Float:
		return math.Float64frombits(x)
	case a.Type.Signed && s < 8:
		return float64(int64(x<<(64-8*s)) >> (64 - 8*s))
	case a.Type.Signed:
		return float64(int64(x))
	}
	return float64(x)
}

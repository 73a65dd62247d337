package hdf5

// Object headers (format specification §IV.A): version 1 headers (an
// 16-byte prefix, then 8-byte-aligned messages) and version 2 headers
// ("OHDR", then packed messages, a checksum), each continued in further
// blocks named by continuation messages.

// Message types this package reads.
const (
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgLink         = 0x06
	msgLayout       = 0x08
	msgFilters      = 0x0b
	msgAttribute    = 0x0c
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// msgShared is the message flag of a message stored elsewhere (a shared
// object header message), which this package does not follow.
const msgShared = 0x02

// message is one header message: its type, flags and undecoded body, which
// starts at file offset at.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
	at    int64
}

// object is a group or dataset: its path (for errors) and header messages.
type object struct {
	f    *File
	path string
	at   int64 // file offset of the header
	msgs []message
}

// errf makes an *Error about the object at offset off.
func (o *object) errf(off int64, format string, args ...any) *Error {
	return o.f.errf(o.path, off, format, args...)
}

// find returns the first message of type typ, or nil.
func (o *object) find(typ uint16) *message {
	for i := range o.msgs {
		if o.msgs[i].typ == typ {
			return &o.msgs[i]
		}
	}
	return nil
}

// cursor returns a cursor over the body of m.
func (o *object) cursor(m *message) *cursor { return o.f.cursor(m.data, m.at) }

// header reads the header at addr of the object called path, following its
// continuation blocks (each read once: a cycle of continuations is refused).
func (f *File) header(addr uint64, path string) (*object, error) {
	o := &object{f: f, path: path}
	c, err := f.readSome(addr, 32, "object header")
	if err != nil {
		return nil, o.wrap(err)
	}
	o.at = c.at
	v2 := len(c.b) >= 4 && string(c.b[:4]) == "OHDR"
	var first block
	if v2 {
		first, err = o.prefix2(c)
	} else {
		first, err = o.prefix1(c)
	}
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	for todo := []block{first}; len(todo) > 0; todo = todo[1:] {
		b := todo[0]
		if seen[b.addr] {
			return nil, o.errf(c.at, "object header continuation at address %#x appears twice (a cycle)", b.addr)
		}
		seen[b.addr] = true
		more, err := o.messages(b, v2)
		if err != nil {
			return nil, err
		}
		todo = append(todo, more...)
	}
	return o, nil
}

// wrap names the object in an error of the file's structures.
func (o *object) wrap(err error) error {
	if e, ok := err.(*Error); ok && e.Object == "" {
		e.Object = o.path
	}
	return err
}

// block is a run of header messages: where they start, their length, and
// for version 2 the flags of the header (whether messages carry a creation
// order) and the length of the block's own prefix.
type block struct {
	addr, n  uint64
	skip     uint64 // bytes before the first message ("OCHK" in v2)
	flags    uint8
	checksum bool
}

// prefix1 decodes the 16-byte prefix of a version 1 header.
func (o *object) prefix1(c *cursor) (block, error) {
	at := c.at
	if v := c.u8(); v != 1 {
		return block{}, o.errf(at, "object header version %d (or signature %q), want 1 or \"OHDR\"", v, c.b[:min(4, len(c.b))])
	}
	c.skip(1 + 2 + 4) // reserved, message count, reference count
	n := uint64(c.u32())
	if err := c.check("object header"); err != nil {
		return block{}, o.wrap(err)
	}
	return block{addr: uint64(at) - o.f.base + 16, n: n}, nil
}

// prefix2 decodes the prefix of a version 2 header ("OHDR").
func (o *object) prefix2(c *cursor) (block, error) {
	at := c.at
	c.skip(4)
	if v := c.u8(); v != 2 {
		return block{}, o.errf(at+4, "object header version %d, want 2", v)
	}
	flags := c.u8()
	if flags&0x20 != 0 {
		c.skip(16) // access, modification, change and birth times
	}
	if flags&0x10 != 0 {
		c.skip(4) // attribute storage phase change values
	}
	n := c.uint(1 << (flags & 3))
	if err := c.check("object header"); err != nil {
		return block{}, o.wrap(err)
	}
	start := uint64(c.offset()) - o.f.base
	return block{addr: start, n: n, flags: flags, checksum: true}, nil
}

// messages decodes the messages of block b and returns the continuation
// blocks they name.
func (o *object) messages(b block, v2 bool) ([]block, error) {
	n := b.n
	if b.checksum {
		n += 4
	}
	_, c, err := o.f.read(b.addr, n, "object header messages")
	if err != nil {
		return nil, o.wrap(err)
	}
	if b.skip > 0 {
		if err := c.signature("OCHK", "object header continuation block"); err != nil {
			return nil, o.wrap(err)
		}
	}
	end := int(n)
	if b.checksum {
		end -= 4
	}
	var more []block
	for {
		m, ok, err := o.next(c, end, v2, b.flags)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if m.typ == msgContinuation {
			mc := o.cursor(&m)
			next := block{addr: mc.addr(), n: mc.length(), flags: b.flags, checksum: v2}
			if err := mc.check("continuation message"); err != nil {
				return nil, o.wrap(err)
			}
			if v2 {
				if next.n < 8 {
					return nil, o.errf(m.at, "continuation block of %d bytes, want at least 8", next.n)
				}
				next.skip, next.n = 4, next.n-4
			}
			more = append(more, next)
		}
		o.msgs = append(o.msgs, m)
	}
	return more, o.wrap(c.check("object header message"))
}

// next decodes the message at c's position, if a whole message header fits
// before end (a shorter remainder is the gap the format allows).
func (o *object) next(c *cursor, end int, v2 bool, flags uint8) (message, bool, error) {
	head := 8
	if v2 {
		head = 4
		if flags&0x04 != 0 {
			head = 6
		}
	}
	if c.err != nil || end-c.p < head {
		return message{}, false, nil
	}
	var m message
	var size int
	if v2 {
		m.typ, size, m.flags = uint16(c.u8()), c.u16(), c.u8()
		c.skip(head - 4)
	} else {
		m.typ, size, m.flags = uint16(c.u16()), c.u16(), c.u8()
		c.skip(3)
	}
	if size > end-c.p {
		return m, false, o.errf(c.offset(), "header message of type %#x and %d bytes runs past its block", m.typ, size)
	}
	m.at = c.offset()
	m.data = c.bytes(size)
	return m, true, nil
}

package hdf5

// Groups and links (format specification §IV.A.2): an old-style group is
// a symbol table message naming a v1 B-tree of symbol table nodes ("SNOD")
// and a local heap of names; a new-style group has its links as link
// messages in its header (compact) or, past a threshold, in a fractal heap
// indexed by a v2 B-tree of name hashes (dense), named by a link info
// message.

import (
	"errors"
	"strings"
)

// errFound stops a walk once the wanted link is found.
var errFound = errors.New("found")

// object opens the group or dataset at path ("PartType1/Coordinates";
// "" or "/" is the root group), following hard links from the root.
func (f *File) object(path string) (*object, error) {
	o, err := f.header(f.root, "/")
	if err != nil {
		return nil, err
	}
	for _, name := range strings.Split(strings.Trim(path, "/"), "/") {
		if name == "" {
			continue
		}
		addr, err := o.link(name)
		if err != nil {
			return nil, err
		}
		if o, err = f.header(addr, strings.TrimSuffix(o.path, "/")+"/"+name); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// link returns the object header address of the member name of group o.
func (o *object) link(name string) (uint64, error) {
	var addr uint64
	var err error
	switch {
	case o.find(msgSymbolTable) != nil:
		addr, err = o.symbolLink(name)
	case o.find(msgLinkInfo) != nil && o.find(msgLink) == nil:
		addr, err = o.denseLink(name)
	default:
		addr, err = o.compactLink(name)
	}
	if err == nil && addr == undefined {
		return 0, o.missing("no member %q (or a soft or external link, which is not followed): want a group or dataset of that name", name)
	}
	return addr, err
}

// symbolLink looks name up in an old-style group.
func (o *object) symbolLink(name string) (uint64, error) {
	c := o.cursor(o.find(msgSymbolTable))
	tree, heap := c.addr(), c.addr()
	if err := c.check("symbol table message"); err != nil {
		return 0, o.wrap(err)
	}
	seg, err := o.f.localHeap(heap)
	if err != nil {
		return 0, o.wrap(err)
	}
	addr, ok, err := firstMatch(o, func(found func(uint64) error) error {
		return o.f.walkBTree1(tree, 0, o.f.lenSize, func(_ []byte, child uint64) error {
			addr, err := o.symbolNode(child, seg, name)
			if err == nil && addr != undefined {
				return found(addr)
			}
			return err
		})
	})
	if !ok {
		addr = undefined
	}
	return addr, err
}

// firstMatch runs walk, which calls found with the entry it looks for
// (ending the walk), and returns that entry and whether there was one.
func firstMatch[T any](o *object, walk func(found func(T) error) error) (T, bool, error) {
	var v T
	ok := false
	err := walk(func(x T) error { v, ok = x, true; return errFound })
	if err != nil && err != errFound {
		return v, false, o.wrap(err)
	}
	return v, ok, nil
}

// symbolNode looks name up among the entries of the symbol table node at
// addr.
func (o *object) symbolNode(addr uint64, heap []byte, name string) (uint64, error) {
	f := o.f
	c, err := f.readSome(addr, 8, "symbol table node")
	if err != nil {
		return 0, err
	}
	if err := c.signature("SNOD", "symbol table node"); err != nil {
		return 0, err
	}
	c.skip(2)
	n := c.u16()
	entry := 2*f.offSize + 24
	_, c, err = f.read(addr, uint64(8+n*entry), "symbol table node")
	if err != nil {
		return 0, err
	}
	c.skip(8)
	for range n {
		nameOff, header := c.addr(), c.addr()
		c.skip(24) // cache type, reserved, scratch pad
		if err := c.check("symbol table entry"); err != nil {
			return 0, err
		}
		if s, ok := heapString(heap, nameOff); !ok {
			return 0, f.errf("", c.offset(), "symbol table entry names heap offset %d, outside the %d-byte local heap", nameOff, len(heap))
		} else if s == name {
			return header, nil
		}
	}
	return undefined, nil
}

// compactLink looks name up among the link messages of o.
func (o *object) compactLink(name string) (uint64, error) {
	for i := range o.msgs {
		if m := &o.msgs[i]; m.typ == msgLink {
			if n, addr, err := o.decodeLink(o.cursor(m)); err != nil || n == name {
				return addr, err
			}
		}
	}
	return undefined, nil
}

// denseLink looks name up in the fractal heap of a new-style group.
func (o *object) denseLink(name string) (uint64, error) {
	heap, tree, err := o.denseIndex(o.find(msgLinkInfo), 5)
	if err != nil || heap == nil {
		return undefined, err
	}
	addr, ok, err := firstMatch(o, func(found func(uint64) error) error {
		return tree.walk(func(rec []byte) error {
			if len(rec) < 4+heap.idLen {
				return o.errf(heap.at, "link name index record of %d bytes, want %d", len(rec), 4+heap.idLen)
			}
			b, err := heap.object(rec[4 : 4+heap.idLen])
			if err != nil {
				return err
			}
			n, addr, err := o.decodeLink(o.f.cursor(b, heap.at))
			if err == nil && n == name {
				return found(addr)
			}
			return err
		})
	})
	if !ok {
		addr = undefined
	}
	return addr, err
}

// denseIndex opens the fractal heap and the name index (a v2 B-tree of
// type 5 for links, 8 for attributes) that a link info or attribute info
// message m names; a nil heap when the object keeps none.
func (o *object) denseIndex(m *message, typ uint8) (*fractalHeap, *btree2, error) {
	c := o.cursor(m)
	c.skip(1)
	flags := c.u8()
	if flags&1 != 0 { // maximum creation index
		if typ == 5 {
			c.skip(8)
		} else {
			c.skip(2)
		}
	}
	heapAddr, treeAddr := c.addr(), c.addr()
	if err := c.check("link or attribute info message"); err != nil {
		return nil, nil, o.wrap(err)
	}
	if heapAddr == undefined {
		return nil, nil, nil
	}
	heap, err := o.f.openFractalHeap(heapAddr)
	if err != nil {
		return nil, nil, o.wrap(err)
	}
	tree, err := o.f.openBTree2(treeAddr, typ)
	if err != nil {
		return nil, nil, o.wrap(err)
	}
	return heap, tree, nil
}

// decodeLink decodes a link message: the link's name and, for a hard link,
// the address of its object header (undefined for soft and external links).
func (o *object) decodeLink(c *cursor) (string, uint64, error) {
	at := c.at
	if v := c.u8(); v != 1 {
		return "", 0, o.errf(at, "link message version %d, want 1", v)
	}
	flags := c.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // character set
	}
	name := string(c.bytes(int(c.uint(1 << (flags & 3)))))
	if err := c.check("link message"); err != nil {
		return "", 0, o.wrap(err)
	}
	if typ != 0 {
		return name, undefined, nil // soft or external: not followed
	}
	addr := c.addr()
	return name, addr, o.wrap(c.check("link message"))
}

package hdf5

// B-trees (format specification §III.A): version 1 nodes ("TREE"), which
// index old-style groups (type 0) and chunks (type 1), and version 2 trees
// ("BTHD", "BTIN", "BTLF"), which index dense links and attributes (types 5
// and 8) and chunks (types 10 and 11). Walks visit every record in key
// order; a node seen twice or at the wrong depth is an error, so a damaged
// tree cannot make a walk loop.

// walkBTree1 calls visit for each child pointer of the leaves of the
// version 1 B-tree at addr of node type typ, with the key on its left.
// keySize is the size of a key.
func (f *File) walkBTree1(addr uint64, typ uint8, keySize int, visit func(key []byte, child uint64) error) error {
	seen := map[uint64]bool{}
	var walk func(addr uint64, level int) error
	walk = func(addr uint64, level int) error {
		if seen[addr] {
			return f.errf("", int64(min(addr, uint64(f.size))), "B-tree node at address %#x reached twice (a cycle)", addr)
		}
		seen[addr] = true
		c, err := f.readSome(addr, 8+2*uint64(f.offSize), "B-tree node")
		if err != nil {
			return err
		}
		if err := c.signature("TREE", "B-tree node"); err != nil {
			return err
		}
		t, lv, n := c.u8(), int(c.u8()), c.u16()
		if err := c.check("B-tree node"); err != nil {
			return err
		}
		if t != typ || (level >= 0 && lv != level) {
			return f.errf("", c.at, "B-tree node of type %d at level %d, want type %d at level %d", t, lv, typ, level)
		}
		size := 8 + 2*f.offSize + n*(keySize+f.offSize) + keySize
		_, c, err = f.read(addr, uint64(size), "B-tree node")
		if err != nil {
			return err
		}
		c.skip(8 + 2*f.offSize)
		for range n {
			key := c.bytes(keySize)
			child := c.addr()
			if err := c.check("B-tree node"); err != nil {
				return err
			}
			if lv > 0 {
				err = walk(child, lv-1)
			} else {
				err = visit(key, child)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return walk(addr, -1)
}

// btree2 is the header of a version 2 B-tree.
type btree2 struct {
	f                *File
	typ              uint8
	nodeSize         uint64
	recSize          int
	depth            int
	root             uint64
	rootRecs         int
	maxRecs, cumRecs []uint64 // per depth: records in a node, in its subtree
}

// openBTree2 reads the header of the version 2 B-tree at addr, which must
// be of type typ.
func (f *File) openBTree2(addr uint64, typ uint8) (*btree2, error) {
	_, c, err := f.read(addr, 4+2+4+2+2+2+uint64(f.offSize)+2+uint64(f.lenSize)+4, "v2 B-tree header")
	if err != nil {
		return nil, err
	}
	if err := c.signature("BTHD", "v2 B-tree header"); err != nil {
		return nil, err
	}
	c.skip(1)
	t := &btree2{f: f, typ: c.u8(), nodeSize: uint64(c.u32()), recSize: c.u16(), depth: c.u16()}
	c.skip(2)
	t.root, t.rootRecs = c.addr(), c.u16()
	if err := c.check("v2 B-tree header"); err != nil {
		return nil, err
	}
	if t.typ != typ || t.recSize == 0 || t.nodeSize < 10+uint64(t.recSize) || t.nodeSize > uint64(f.size) || t.depth > 64 {
		return nil, f.errf("", c.at, "v2 B-tree of type %d, node size %d, record size %d, depth %d: want type %d and nodes that fit their records and the file",
			t.typ, t.nodeSize, t.recSize, t.depth, typ)
	}
	t.sizes()
	return t, nil
}

// sizes computes how many records a node of each depth holds, which fixes
// the widths of the record counts in internal nodes (H5B2hdr.c).
func (t *btree2) sizes() {
	const prefix = 10 // signature, version, type, checksum
	t.maxRecs = []uint64{(t.nodeSize - prefix) / uint64(t.recSize)}
	t.cumRecs = []uint64{t.maxRecs[0]}
	for d := 1; d <= t.depth; d++ {
		ptr := uint64(t.ptrSize(d))
		n := uint64(0)
		if t.nodeSize > prefix+ptr {
			n = (t.nodeSize - prefix - ptr) / (uint64(t.recSize) + ptr)
		}
		t.maxRecs = append(t.maxRecs, n)
		cum := (n+1)*t.cumRecs[d-1] + n
		if cum < t.cumRecs[d-1] { // overflow: no such tree fits a file
			cum = ^uint64(0)
		}
		t.cumRecs = append(t.cumRecs, cum)
	}
}

// ptrSize is the size of a child pointer in a node at depth d: the
// address, the child's record count and, below depth 1, its subtree's.
func (t *btree2) ptrSize(d int) int {
	count, total := t.countSizes(d)
	return t.f.offSize + count + total
}

// countSizes are the widths of a child pointer's record counts in a node at
// depth d: the child's own records (sized for a leaf, the fullest node) and,
// below depth 1, those of the child's subtree (0 at depth 1).
func (t *btree2) countSizes(d int) (count, total int) {
	if d > 1 {
		total = encSize(t.cumRecs[d-1])
	}
	return encSize(t.maxRecs[0]), total
}

// encSize is the number of bytes that encode values up to m.
func encSize(m uint64) int {
	n := 1
	for m >>= 8; m > 0; m >>= 8 {
		n++
	}
	return n
}

// walk calls visit with each record of the tree, in key order.
func (t *btree2) walk(visit func(rec []byte) error) error {
	if t.root == undefined || t.rootRecs == 0 {
		return nil
	}
	seen := map[uint64]bool{}
	return t.node(t.root, t.depth, t.rootRecs, seen, visit)
}

func (t *btree2) node(addr uint64, depth, n int, seen map[uint64]bool, visit func([]byte) error) error {
	f := t.f
	if seen[addr] {
		return f.errf("", int64(min(addr, uint64(f.size))), "v2 B-tree node at address %#x reached twice (a cycle)", addr)
	}
	seen[addr] = true
	if uint64(n) > t.maxRecs[depth] {
		return f.errf("", int64(min(addr, uint64(f.size))), "v2 B-tree node of %d records, want at most %d", n, t.maxRecs[depth])
	}
	_, c, err := f.read(addr, t.nodeSize, "v2 B-tree node")
	if err != nil {
		return err
	}
	sig := map[bool]string{true: "BTLF", false: "BTIN"}[depth == 0]
	if err := c.signature(sig, "v2 B-tree node"); err != nil {
		return err
	}
	c.skip(1) // version
	if c.u8() != t.typ {
		return f.errf("", c.at, "v2 B-tree node of another type than its tree's %d", t.typ)
	}
	recs := c.bytes(n * t.recSize)
	if err := c.check("v2 B-tree node"); err != nil {
		return err
	}
	if depth == 0 {
		for i := range n {
			if err := visit(recs[i*t.recSize : (i+1)*t.recSize]); err != nil {
				return err
			}
		}
		return c.check("v2 B-tree leaf")
	}
	countSize, totalSize := t.countSizes(depth)
	for i := 0; i <= n; i++ {
		child, m := c.addr(), int(c.uint(countSize))
		c.skip(totalSize)
		if err := c.check("v2 B-tree internal node"); err != nil {
			return err
		}
		if err := t.node(child, depth-1, m, seen, visit); err != nil {
			return err
		}
		if i < n {
			if err := visit(recs[i*t.recSize : (i+1)*t.recSize]); err != nil {
				return err
			}
		}
	}
	return nil
}

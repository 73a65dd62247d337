package parallel

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// NewLocal returns n in-process ranks sharing memory, for tests of code that
// runs data-parallel. Rank i is used from its own goroutine; the collectives
// block until every rank has entered them.
//
// Sums run in rank order, ((b0+b1)+b2)+…, in the element type, so they are
// deterministic and identical on all ranks; the elements are split among the
// ranks, which each sum a contiguous share and write it into every rank's
// buffer. A rank that calls a different collective, length or root than the
// others makes every rank panic with a message naming the ranks. Abort exits
// the process, which holds the whole job.
func NewLocal(n int) []Comm {
	if n < 1 {
		panic(fmt.Sprintf("parallel: NewLocal(%d): need at least one rank", n))
	}
	g := &localGroup{n: n}
	g.cond = sync.Cond{L: &g.mu}
	for p := range g.calls {
		g.calls[p] = make([]localCall, n)
	}
	comms := make([]Comm, n)
	for i := range comms {
		comms[i] = &local{g: g, rank: i}
	}
	return comms
}

// localGroup is the state the ranks of one NewLocal share.
type localGroup struct {
	n int

	mu    sync.Mutex
	cond  sync.Cond
	count int    // ranks waiting at the current barrier
	gen   uint64 // barrier generation, bumped when the last rank arrives

	// calls[seq%2][rank] is what rank passed to its collective number seq.
	// Two sets, because a rank leaving a one-barrier collective (Barrier)
	// may register its next call while slower ranks still read this one;
	// it cannot get two calls ahead, since the next call's barrier waits
	// for them.
	calls [2][]localCall
}

// localCall is one rank's arguments to a collective.
type localCall struct {
	op     string
	n      int // length of the buffer (src for Gather)
	root   int
	dstLen int // Gather on root: len(dst)
	buf    any // []float32, []float64 or []byte
}

// barrier blocks until all n ranks have called it. The generation counter
// makes it reusable at once: a rank that leaves and comes back waits for
// the next generation, not the one it just completed.
func (g *localGroup) barrier() {
	g.mu.Lock()
	gen := g.gen
	g.count++
	if g.count == g.n {
		g.count = 0
		g.gen++
		g.cond.Broadcast()
	} else {
		for gen == g.gen {
			g.cond.Wait()
		}
	}
	g.mu.Unlock()
}

type local struct {
	g       *localGroup
	rank    int
	seq     uint64 // collectives this rank has entered
	scratch any    // this rank's share of a sum, reused between calls
}

func (c *local) Rank() int { return c.rank }
func (c *local) Size() int { return c.g.n }

// Close is a no-op: the ranks share nothing that needs releasing.
func (c *local) Close() error { return nil }

// Abort exits the process, which is the whole job of in-process ranks.
func (c *local) Abort(code int) { os.Exit(code) }

// enter registers this rank's call, waits for every rank, and checks that
// all of them made the same call. It returns every rank's call.
func (c *local) enter(call localCall) []localCall {
	calls := c.g.calls[c.seq%2]
	c.seq++
	calls[c.rank] = call
	c.g.barrier()
	first := calls[0]
	var bad []string
	for r, o := range calls {
		if o.op != first.op || o.n != first.n || o.root != first.root {
			bad = append(bad, fmt.Sprintf("rank %d called %s(len %d, root %d)", r, o.op, o.n, o.root))
		}
	}
	if bad != nil {
		panic(fmt.Sprintf("parallel: mismatched collective: rank 0 called %s(len %d, root %d), %s",
			first.op, first.n, first.root, strings.Join(bad, ", ")))
	}
	if first.op == "Gather" {
		if d := calls[first.root].dstLen; d != c.g.n*first.n {
			panic(fmt.Sprintf("parallel: Gather: len(dst) = %d on root %d, want Size()*len(src) = %d*%d = %d",
				d, first.root, c.g.n, first.n, c.g.n*first.n))
		}
	}
	return calls
}

func (c *local) Barrier() error {
	c.enter(localCall{op: "Barrier"})
	return nil
}

func (c *local) AllReduceSum(buf []float32) error {
	localAllReduce(c, "AllReduceSum", buf)
	return nil
}

func (c *local) AllReduceSum64(buf []float64) error {
	localAllReduce(c, "AllReduceSum64", buf)
	return nil
}

// localAllReduce sums buf over the ranks. Rank r sums elements
// [r*len/n, (r+1)*len/n) of every rank's buffer in rank order into its
// scratch; after a barrier (nobody reads the inputs any more) it writes that
// share into every rank's buffer; a last barrier keeps a rank from returning
// while others still write into its buffer.
func localAllReduce[T float32 | float64](c *local, op string, buf []T) {
	calls := c.enter(localCall{op: op, n: len(buf), buf: buf})
	n := len(buf)
	lo, hi := c.rank*n/c.g.n, (c.rank+1)*n/c.g.n
	share, _ := c.scratch.([]T)
	if cap(share) < hi-lo {
		share = make([]T, hi-lo)
		c.scratch = share
	}
	share = share[:hi-lo]
	copy(share, calls[0].buf.([]T)[lo:hi])
	for _, o := range calls[1:] {
		src := o.buf.([]T)[lo:hi]
		for i, v := range src {
			share[i] += v
		}
	}
	c.g.barrier()
	for _, o := range calls {
		copy(o.buf.([]T)[lo:hi], share)
	}
	c.g.barrier()
}

func (c *local) Broadcast(buf []float32, root int) error {
	return localBroadcast(c, "Broadcast", buf, root)
}

func (c *local) BroadcastBytes(buf []byte, root int) error {
	return localBroadcast(c, "BroadcastBytes", buf, root)
}

// localBroadcast copies root's buf into this rank's; the second barrier
// keeps root from changing its buf before every rank has copied it.
func localBroadcast[T float32 | byte](c *local, op string, buf []T, root int) error {
	if err := checkRoot(op, root, c.g.n); err != nil {
		return err
	}
	calls := c.enter(localCall{op: op, n: len(buf), root: root, buf: buf})
	if c.rank != root {
		copy(buf, calls[root].buf.([]T))
	}
	c.g.barrier()
	return nil
}

// Gather has root copy every rank's src into dst; the second barrier keeps
// the other ranks from changing src before root has copied it.
func (c *local) Gather(dst, src []float32, root int) error {
	if err := checkRoot("Gather", root, c.g.n); err != nil {
		return err
	}
	call := localCall{op: "Gather", n: len(src), root: root, buf: src}
	if c.rank == root {
		call.dstLen = len(dst)
	}
	calls := c.enter(call)
	if c.rank == root {
		for r, o := range calls {
			copy(dst[r*len(src):], o.buf.([]float32))
		}
	}
	c.g.barrier()
	return nil
}

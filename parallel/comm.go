package parallel

import (
	"fmt"
	"os"
)

// Comm is a communicator among the ranks of a data-parallel job. Every rank
// calls the collectives in the same order with the same lengths; the methods
// are not safe for concurrent use by one rank.
type Comm interface {
	Rank() int
	Size() int
	// AllReduceSum replaces buf, on every rank, by the element-wise sum over
	// the ranks. The result is bitwise identical on all ranks.
	AllReduceSum(buf []float32) error
	// AllReduceSum64 is AllReduceSum for float64 (batch-norm statistics,
	// checksums, counters).
	AllReduceSum64(buf []float64) error
	// Broadcast copies root's buf into every rank's buf.
	Broadcast(buf []float32, root int) error
	// BroadcastBytes copies root's buf into every rank's buf (same length
	// everywhere).
	BroadcastBytes(buf []byte, root int) error
	// Gather concatenates, in rank order, every rank's src into dst on root
	// (len(dst) = Size()*len(src)); dst is not used on other ranks (may be
	// nil).
	Gather(dst, src []float32, root int) error
	Barrier() error
	// Abort ends every rank of the job (MPI_Abort), for unrecoverable errors.
	Abort(code int)
	Close() error // MPI_Finalize for MPI; no-op otherwise
}

// checkRoot reports a root outside [0, size). Every rank checks the same
// arguments before communicating, so a bad root fails on all ranks alike
// instead of leaving some of them waiting.
func checkRoot(op string, root, size int) error {
	if root < 0 || root >= size {
		return fmt.Errorf("parallel: %s: root %d outside the %d ranks", op, root, size)
	}
	return nil
}

// checkGatherDst panics when root's dst cannot hold every rank's src: a
// wrong length is a programming error, and returning an error on root alone
// would leave the other ranks inside the collective.
func checkGatherDst(dst, src []float32, size int) {
	if len(dst) != size*len(src) {
		panic(fmt.Sprintf("parallel: Gather: len(dst) = %d on root, want Size()*len(src) = %d*%d = %d",
			len(dst), size, len(src), size*len(src)))
	}
}

// Single returns the communicator of a job with one rank: collectives are
// no-ops, except that Gather copies src to dst.
func Single() Comm { return single{} }

type single struct{}

func (single) Rank() int                      { return 0 }
func (single) Size() int                      { return 1 }
func (single) AllReduceSum([]float32) error   { return nil }
func (single) AllReduceSum64([]float64) error { return nil }
func (single) Barrier() error                 { return nil }
func (single) Close() error                   { return nil }

func (single) Broadcast(_ []float32, root int) error { return checkRoot("Broadcast", root, 1) }

func (single) BroadcastBytes(_ []byte, root int) error {
	return checkRoot("BroadcastBytes", root, 1)
}

func (single) Gather(dst, src []float32, root int) error {
	if err := checkRoot("Gather", root, 1); err != nil {
		return err
	}
	checkGatherDst(dst, src, 1)
	copy(dst, src)
	return nil
}

// Abort exits the process with code: the process is the whole job.
func (single) Abort(code int) { os.Exit(code) }

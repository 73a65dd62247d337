//go:build mpi

package parallel

/*
#cgo pkg-config: ompi
#include <mpi.h>

// MPI_COMM_WORLD and MPI_ERRORS_RETURN are macros over OpenMPI's globals,
// which cgo cannot name; these wrappers do.
static int world_init(int *provided) {
	int err = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (err != MPI_SUCCESS) return err;
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int world_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/emer/empi/mpi"
)

var world struct {
	sync.Mutex
	comm      *mpiComm
	finalized bool
}

// World initialises MPI and returns MPI_COMM_WORLD. Later calls return the
// same communicator; after its Close, MPI cannot start again and World
// fails. Without mpirun, OpenMPI starts the process as a one-rank
// singleton.
//
// MPI is initialised with MPI_THREAD_SERIALIZED, not MPI_Init's
// MPI_THREAD_SINGLE: Go moves a goroutine between OS threads, so calls come
// from several threads, one at a time. Errors return to the caller
// (MPI_ERRORS_RETURN) instead of aborting the job, so they arrive with
// context; empi's logging of them is turned off (library code does not
// print).
func World() (Comm, error) {
	world.Lock()
	defer world.Unlock()
	if world.comm != nil {
		return world.comm, nil
	}
	if world.finalized {
		return nil, errors.New("parallel: World: MPI was finalized by Close and cannot start again")
	}
	mpi.LogErrors = false
	var provided C.int
	if ec := C.world_init(&provided); ec != C.MPI_SUCCESS {
		return nil, fmt.Errorf("parallel: World: %w", mpiError("MPI_Init_thread or MPI_Comm_set_errhandler", ec))
	}
	if provided < C.MPI_THREAD_SERIALIZED {
		C.MPI_Finalize()
		world.finalized = true
		return nil, fmt.Errorf("parallel: World: MPI provides thread level %d, need MPI_THREAD_SERIALIZED (%d)",
			int(provided), int(C.MPI_THREAD_SERIALIZED))
	}
	comm, err := mpi.NewComm(nil)
	if err != nil {
		return nil, fmt.Errorf("parallel: World: %w", err)
	}
	world.comm = &mpiComm{c: comm, rank: comm.Rank(), size: comm.Size()}
	return world.comm, nil
}

// mpiComm is MPI_COMM_WORLD. empi takes &x[0] of every buffer, which panics
// on an empty slice, so zero-length collectives return before calling it:
// every rank has the same length, so all of them skip alike.
type mpiComm struct {
	c          *mpi.Comm
	rank, size int
	closed     bool
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

// usable reports a call after Close, which MPI would answer with a crash.
func (c *mpiComm) usable(op string) error {
	if c.closed {
		return fmt.Errorf("parallel: %s on rank %d after Close", op, c.rank)
	}
	return nil
}

// AllReduceSum is MPI_Allreduce in place (MPI_IN_PLACE: orig = nil).
//
// The MPI standard only recommends that MPI_Allreduce give every rank the
// same bits. OpenMPI 4.1's algorithms (coll/tuned, over coll/base) do:
// recursive doubling always evaluates lower rank's partial sum + higher
// rank's, so both partners of a step compute the same expression; ring,
// segmented ring and Rabenseifner compute each element once, in a
// reduce-scatter, and copy it to the others in an all-gather; basic linear
// and nonoverlapping are reduce then broadcast. Other collective components
// (hcoll, UCC, in-network offloads) are outside this argument; the daemon's
// periodic parameter checksum would catch a divergence. TestMPICollectives
// checks identity on 3 ranks for a small buffer (recursive doubling) and a
// large one (ring). MPI_Reduce + MPI_Bcast, identical by construction, costs
// 2-2.5 times as much for a 16 MiB buffer (bench_mpi_test.go).
func (c *mpiComm) AllReduceSum(buf []float32) error {
	if err := c.usable("AllReduceSum"); err != nil || len(buf) == 0 || c.size == 1 {
		return err
	}
	if err := c.c.AllReduceF32(mpi.OpSum, buf, nil); err != nil {
		return fmt.Errorf("parallel: AllReduceSum of %d float32 on rank %d: %w", len(buf), c.rank, err)
	}
	return nil
}

// AllReduceSum64 is AllReduceSum for float64: MPI_Allreduce in place, with
// the same identity on all ranks.
func (c *mpiComm) AllReduceSum64(buf []float64) error {
	if err := c.usable("AllReduceSum64"); err != nil || len(buf) == 0 || c.size == 1 {
		return err
	}
	if err := c.c.AllReduceF64(mpi.OpSum, buf, nil); err != nil {
		return fmt.Errorf("parallel: AllReduceSum64 of %d float64 on rank %d: %w", len(buf), c.rank, err)
	}
	return nil
}

// mpiError is MPI's description of error code ec, returned by call.
func mpiError(call string, ec C.int) error {
	var msg [C.MPI_MAX_ERROR_STRING]C.char
	var n C.int
	if C.MPI_Error_string(ec, &msg[0], &n) != C.MPI_SUCCESS {
		return fmt.Errorf("%s: MPI error %d", call, int(ec))
	}
	return fmt.Errorf("%s: MPI error %d: %s", call, int(ec), C.GoStringN(&msg[0], n))
}

func (c *mpiComm) Broadcast(buf []float32, root int) error {
	if err := c.usable("Broadcast"); err != nil {
		return err
	}
	if err := checkRoot("Broadcast", root, c.size); err != nil || len(buf) == 0 || c.size == 1 {
		return err
	}
	if err := c.c.BcastF32(root, buf); err != nil {
		return fmt.Errorf("parallel: Broadcast of %d float32 from rank %d on rank %d: %w", len(buf), root, c.rank, err)
	}
	return nil
}

// BroadcastBytes goes through empi's BcastI8, which sends MPI_BYTE: the
// bytes are reinterpreted as int8 without copying.
func (c *mpiComm) BroadcastBytes(buf []byte, root int) error {
	if err := c.usable("BroadcastBytes"); err != nil {
		return err
	}
	if err := checkRoot("BroadcastBytes", root, c.size); err != nil || len(buf) == 0 || c.size == 1 {
		return err
	}
	i8 := unsafe.Slice((*int8)(unsafe.Pointer(&buf[0])), len(buf))
	if err := c.c.BcastI8(root, i8); err != nil {
		return fmt.Errorf("parallel: BroadcastBytes of %d bytes from rank %d on rank %d: %w", len(buf), root, c.rank, err)
	}
	return nil
}

func (c *mpiComm) Gather(dst, src []float32, root int) error {
	if err := c.usable("Gather"); err != nil {
		return err
	}
	if err := checkRoot("Gather", root, c.size); err != nil {
		return err
	}
	if c.rank == root {
		checkGatherDst(dst, src, c.size)
	} else {
		dst = nil // not significant off root; empi passes NULL for nil
	}
	if len(src) == 0 {
		return nil
	}
	if c.size == 1 {
		copy(dst, src)
		return nil
	}
	if err := c.c.GatherF32(root, dst, src); err != nil {
		return fmt.Errorf("parallel: Gather of %d float32 to rank %d on rank %d: %w", len(src), root, c.rank, err)
	}
	return nil
}

func (c *mpiComm) Barrier() error {
	if err := c.usable("Barrier"); err != nil || c.size == 1 {
		return err
	}
	if err := c.c.Barrier(); err != nil {
		return fmt.Errorf("parallel: Barrier on rank %d: %w", c.rank, err)
	}
	return nil
}

// Abort calls MPI_Abort on MPI_COMM_WORLD with code, which mpirun passes on
// as its exit status. It goes around empi, whose Abort always sends 0 and
// would make a failed job look successful. After Close, with MPI gone, it
// exits this process with code.
func (c *mpiComm) Abort(code int) {
	if c.closed {
		os.Exit(code)
	}
	C.world_abort(C.int(code))
	os.Exit(code) // MPI_Abort returned: it failed; still end this rank
}

// Close finalises MPI. Every rank calls it once, after its last
// collective; later calls do nothing.
func (c *mpiComm) Close() error {
	world.Lock()
	defer world.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	world.comm, world.finalized = nil, true
	if ec := C.MPI_Finalize(); ec != C.MPI_SUCCESS {
		return fmt.Errorf("parallel: Close on rank %d: %w", c.rank, mpiError("MPI_Finalize", ec))
	}
	return nil
}

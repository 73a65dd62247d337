// Package parallel is the communicator of a data-parallel job (DESIGN.md):
// rank, size, in-place sum all-reduce, broadcast, gather to a root, barrier
// and abort, behind the Comm interface.
//
// Three implementations:
//
//   - MPI (build tag mpi): MPI_COMM_WORLD through github.com/emer/empi/mpi
//     and OpenMPI (Debian's libopenmpi-dev). World initialises MPI; a binary
//     started without mpirun runs as a one-rank MPI singleton.
//   - Single: one process, the default build's World. Collectives are no-ops.
//   - Local (NewLocal): n ranks as goroutines of one process, sharing memory,
//     for unit tests of code that runs data-parallel.
//
// Every rank calls the collectives in the same order, with the same lengths
// and the same root; a Comm is used by one goroutine at a time. Calling with
// mismatched lengths is a programming error: Local panics naming the ranks,
// and MPI either fails the job or, for lengths it cannot see, is undefined.
// An out-of-range root is an error returned on every rank without
// communicating, so all ranks see it alike.
//
// AllReduceSum and AllReduceSum64 give bitwise identical results on every
// rank, so ranks that apply the same update to the same parameters stay
// identical, which the daemon's parameter checksum relies on. Local sums in
// rank order, ((b0+b1)+b2)+…, in the element type; MPI uses MPI_Allreduce,
// whose OpenMPI 4.1 algorithms give every rank the same bits (the reasons
// are on the MPI AllReduceSum, and the MPI test checks it).
//
// Measured here (2 cores, OpenMPI 4.1.4 over shared memory, 2 ranks): a
// 4M-float32 (16 MiB) all-reduce takes 4.2-5 ms with MPI and 3-3.3 ms with
// Local; a one-element all-reduce 0.5-0.9 µs with MPI and 0.6 µs with Local.
package parallel

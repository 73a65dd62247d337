// Package parallel will hold the communicator of DESIGN.md (rank, size,
// in-place sum all-reduce, broadcast, barrier, gather): MPI through
// github.com/emer/empi (build tag mpi), a single process, and an in-process
// multi-rank fake for tests. It lands with the training-daemon issue; until
// then a run is one process.
package parallel

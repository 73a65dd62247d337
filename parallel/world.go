//go:build !mpi

package parallel

// World returns the communicator of the whole job. Without the mpi build
// tag there is no MPI, and the job is this one process: Single().
func World() (Comm, error) { return Single(), nil }

//go:build mpi

package parallel

import (
	"fmt"
	"testing"

	"github.com/emer/empi/mpi"
)

// BenchmarkMPIAllReduce times AllReduceSum (MPI_Allreduce in place) against
// MPI_Reduce to rank 0 followed by MPI_Bcast, which is identical on all
// ranks by construction, on MPI_COMM_WORLD, for the
// gradient buffer and for one element. Run it under mpirun with a fixed
// iteration count, so that every rank runs the same number of collectives:
//
//	go test -c -tags mpi -o /tmp/parallel.test ./parallel
//	mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 \
//	    /tmp/parallel.test -test.run '^$' -test.bench MPI -test.benchtime 100x
func BenchmarkMPIAllReduce(b *testing.B) {
	comm, err := World()
	if err != nil {
		b.Fatal(err)
	}
	c := comm.(*mpiComm)
	ops := []struct {
		name string
		f    func([]float32) error
	}{
		{"AllReduceSum", c.AllReduceSum},
		{"Reduce+Bcast", func(buf []float32) error { return reduceBcast(c, buf) }},
	}
	for _, length := range []int{gradientLen, 1} {
		for _, op := range ops {
			b.Run(fmt.Sprintf("ranks=%d/%s/len=%d", c.size, op.name, length), func(b *testing.B) {
				// Ranks that disagree on b.N would wait for each other
				// forever; the sum of b.N is the same on all of them, so
				// all of them stop alike.
				n := []float64{float64(b.N)}
				if err := c.AllReduceSum64(n); err != nil {
					b.Fatal(err)
				}
				if n[0] != float64(b.N*c.size) {
					b.Fatalf("ranks run different iteration counts (%d here, %v in all); use -test.benchtime Nx", b.N, n[0])
				}
				buf := make([]float32, length)
				if err := c.Barrier(); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(4 * length))
				b.ResetTimer()
				for range b.N {
					if err := op.f(buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// reduceBcast sums buf into rank 0 with MPI_Reduce and broadcasts the sum.
func reduceBcast(c *mpiComm, buf []float32) error {
	dest := buf // ReduceF32 takes the count from len(dest) on every rank
	if c.rank == 0 {
		dest = make([]float32, len(buf))
	}
	if err := c.c.ReduceF32(0, mpi.OpSum, dest, buf); err != nil {
		return err
	}
	if c.rank == 0 {
		copy(buf, dest)
	}
	return c.c.BcastF32(0, buf)
}

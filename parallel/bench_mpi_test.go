//go:build mpi

package parallel

import (
	"fmt"
	"testing"

	"github.com/emer/empi/mpi"
)

// BenchmarkMPIAllReduce times AllReduceSum (reduce to rank 0, then
// broadcast) against MPI_Allreduce in place, on MPI_COMM_WORLD, for the
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
		{"MPI_Allreduce", func(buf []float32) error { return c.c.AllReduceF32(mpi.OpSum, buf, nil) }},
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

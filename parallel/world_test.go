//go:build !mpi

package parallel

import "testing"

func TestWorldIsSingleWithoutMPI(t *testing.T) {
	c, err := World()
	if err != nil || c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("World() = rank %d size %d, %v; want Single", c.Rank(), c.Size(), err)
	}
}

// Command mpicheck runs every collective of parallel.World() on known
// inputs and prints what each rank got, one line per check:
//
//	rank R CHECK VALUES
//
// The MPI test of package parallel builds it with -tags mpi, starts it under
// mpirun and compares the lines with the values it expects. Inputs:
//
//   - sum32, sum64: rank r puts (r+1)(i+1)+0.25 in element i of 5 elements,
//     sums exact in any order;
//   - bcast32: 3 elements {r, r+0.5, -r} broadcast from the last rank;
//   - bcastbytes: "rank R says hi" (padded to 16 bytes) from rank 1 mod size;
//   - gather: {10r, 10r+1} to rank size/2, printed there only;
//   - identical32, identical64: 1<<20+3 values that round when summed, from
//     a PCG seeded with the rank; printed is the sha256 of the sum's bytes,
//     which must be the same on every rank; small32 and small64 the same for
//     7 values (OpenMPI picks another algorithm for small buffers);
//   - zero: every collective with empty buffers;
//   - barrier: ok after a Barrier.
//
// With -abort CODE, the last rank calls Abort(CODE) while the others wait in
// a Barrier: mpirun must end all of them and exit with CODE.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/cosmogan/cosmogan/parallel"
)

func main() {
	abort := flag.Int("abort", -1, "the last rank calls Abort with this code while the others wait in a Barrier")
	flag.Parse()
	c, err := parallel.World()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mpicheck:", err)
		os.Exit(1)
	}
	if err := run(c, *abort); err != nil {
		fmt.Fprintf(os.Stderr, "mpicheck: rank %d: %v\n", c.Rank(), err)
		c.Abort(1)
	}
	if err := c.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mpicheck:", err)
		os.Exit(1)
	}
}

func run(c parallel.Comm, abort int) error {
	r, n := c.Rank(), c.Size()
	out := func(check string, vals string) { fmt.Printf("rank %d %s %s\n", r, check, vals) }
	out("size", strconv.Itoa(n))

	if abort >= 0 {
		if r == n-1 {
			c.Abort(abort)
		}
		return c.Barrier()
	}

	s32, s64 := make([]float32, 5), make([]float64, 5)
	for i := range s32 {
		s32[i] = float32((r+1)*(i+1)) + 0.25
		s64[i] = float64((r+1)*(i+1)) + 0.25
	}
	if err := c.AllReduceSum(s32); err != nil {
		return err
	}
	out("sum32", join(s32))
	if err := c.AllReduceSum64(s64); err != nil {
		return err
	}
	out("sum64", join(s64))

	b := []float32{float32(r), float32(r) + 0.5, -float32(r)}
	if err := c.Broadcast(b, n-1); err != nil {
		return err
	}
	out("bcast32", join(b))

	bytes := []byte(fmt.Sprintf("%-16s", fmt.Sprintf("rank %d says hi", r)))
	if err := c.BroadcastBytes(bytes, 1%n); err != nil {
		return err
	}
	out("bcastbytes", strconv.Quote(string(bytes)))

	root := n / 2
	var dst []float32
	if r == root {
		dst = make([]float32, 2*n)
	}
	if err := c.Gather(dst, []float32{float32(10 * r), float32(10*r + 1)}, root); err != nil {
		return err
	}
	if r == root {
		out("gather", join(dst))
	}

	for _, size := range []struct {
		name   string
		length int
	}{{"identical", 1<<20 + 3}, {"small", 7}} {
		rng := rand.New(rand.NewPCG(uint64(r), 1))
		b32, b64 := make([]float32, size.length), make([]float64, size.length)
		for i := range b32 {
			b32[i] = float32(rng.NormFloat64())
			b64[i] = rng.NormFloat64()
		}
		if err := c.AllReduceSum(b32); err != nil {
			return err
		}
		if err := c.AllReduceSum64(b64); err != nil {
			return err
		}
		h32, h64 := sha256.New(), sha256.New()
		binary.Write(h32, binary.LittleEndian, b32)
		binary.Write(h64, binary.LittleEndian, b64)
		out(size.name+"32", fmt.Sprintf("%x", h32.Sum(nil)))
		out(size.name+"64", fmt.Sprintf("%x", h64.Sum(nil)))
	}

	for _, err := range []error{
		c.AllReduceSum(nil), c.AllReduceSum64([]float64{}), c.Broadcast(nil, 0),
		c.BroadcastBytes([]byte{}, n-1), c.Gather(nil, []float32{}, 0),
	} {
		if err != nil {
			return err
		}
	}
	out("zero", "ok")

	if err := c.Barrier(); err != nil {
		return err
	}
	out("barrier", "ok")
	return nil
}

// join formats values exactly (shortest representation that reads back).
func join[T float32 | float64](v []T) string {
	bits := 64
	if _, ok := any(v).([]float32); ok {
		bits = 32
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(float64(x), 'g', -1, bits)
	}
	return strings.Join(s, ",")
}

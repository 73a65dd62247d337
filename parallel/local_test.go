package parallel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var rankCounts = []int{1, 2, 3, 5}

// runRanks runs body on every rank of NewLocal(n), each in its own
// goroutine, and returns what each rank panicked with (nil if it did not).
func runRanks(n int, body func(c Comm)) []any {
	comms := NewLocal(n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[r] = recover() }()
			body(c)
		}()
	}
	wg.Wait()
	return panics
}

// forRanks runs body on NewLocal(n) for every n of rankCounts, failing the
// test if a rank panics.
func forRanks(t *testing.T, body func(t *testing.T, c Comm)) {
	for _, n := range rankCounts {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			for r, p := range runRanks(n, func(c Comm) { body(t, c) }) {
				if p != nil {
					t.Errorf("rank %d panicked: %v", r, p)
				}
			}
		})
	}
}

func TestLocalRankSize(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		if c.Size() < 1 || c.Rank() < 0 || c.Rank() >= c.Size() {
			t.Errorf("rank %d of size %d", c.Rank(), c.Size())
		}
	})
	seen := make([]bool, 5)
	for i, c := range NewLocal(5) {
		if c.Rank() != i || c.Size() != 5 || seen[i] {
			t.Errorf("NewLocal(5)[%d]: rank %d size %d", i, c.Rank(), c.Size())
		}
		seen[i] = true
	}
}

// TestLocalAllReduceSumExact: rank r contributes (r+1)(i+1) + 1/4 to
// element i, so the sum is (i+1)·n(n+1)/2 + n/4, exact in float32.
func TestLocalAllReduceSumExact(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		n, r := c.Size(), c.Rank()
		buf := make([]float32, 7)
		buf64 := make([]float64, 7)
		for i := range buf {
			buf[i] = float32((r+1)*(i+1)) + 0.25
			buf64[i] = float64((r+1)*(i+1)) + 0.25
		}
		if err := c.AllReduceSum(buf); err != nil {
			t.Fatal(err)
		}
		if err := c.AllReduceSum64(buf64); err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			want := float64((i+1)*n*(n+1)/2) + 0.25*float64(n)
			if float64(buf[i]) != want || buf64[i] != want {
				t.Errorf("rank %d element %d: got %v (float32), %v (float64), want %v", r, i, buf[i], buf64[i], want)
			}
		}
	})
}

// TestLocalAllReduceSumIdentical: with values whose sum rounds, every rank
// gets, bit for bit, the rank-order sum ((b0+b1)+b2)+….
func TestLocalAllReduceSumIdentical(t *testing.T) {
	const length = 1001 // not a multiple of any rank count: uneven shares
	input := func(r int) ([]float32, []float64) {
		rng := rand.New(rand.NewPCG(uint64(r), 7))
		b32, b64 := make([]float32, length), make([]float64, length)
		for i := range b32 {
			b32[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
			b64[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(17)-8))
		}
		return b32, b64
	}
	forRanks(t, func(t *testing.T, c Comm) {
		want32, want64 := input(0)
		for r := 1; r < c.Size(); r++ {
			b32, b64 := input(r)
			for i := range want32 {
				want32[i] += b32[i]
				want64[i] += b64[i]
			}
		}
		b32, b64 := input(c.Rank())
		if err := c.AllReduceSum(b32); err != nil {
			t.Fatal(err)
		}
		if err := c.AllReduceSum64(b64); err != nil {
			t.Fatal(err)
		}
		for i := range b32 {
			if math.Float32bits(b32[i]) != math.Float32bits(want32[i]) || math.Float64bits(b64[i]) != math.Float64bits(want64[i]) {
				t.Fatalf("rank %d element %d: got %v, %v, want %v, %v", c.Rank(), i, b32[i], b64[i], want32[i], want64[i])
			}
		}
	})
}

func TestLocalBroadcast(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		root := c.Size() - 1
		buf := []float32{float32(c.Rank()), -1, 2.5}
		if err := c.Broadcast(buf, root); err != nil {
			t.Fatal(err)
		}
		if want := []float32{float32(root), -1, 2.5}; fmt.Sprint(buf) != fmt.Sprint(want) {
			t.Errorf("rank %d: Broadcast from %d gave %v, want %v", c.Rank(), root, buf, want)
		}
		b := []byte{byte(c.Rank()), 'x', 0xff}
		if err := c.BroadcastBytes(b, 0); err != nil {
			t.Fatal(err)
		}
		if string(b) != "\x00x\xff" {
			t.Errorf("rank %d: BroadcastBytes from 0 gave %q", c.Rank(), b)
		}
	})
}

func TestLocalGather(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		n, r, root := c.Size(), c.Rank(), c.Size()/2
		src := []float32{float32(10 * r), float32(10*r + 1)}
		var dst []float32
		if r == root {
			dst = make([]float32, 2*n)
		}
		if err := c.Gather(dst, src, root); err != nil {
			t.Fatal(err)
		}
		// Sources stay untouched and may be changed at once.
		if src[0] != float32(10*r) || src[1] != float32(10*r+1) {
			t.Errorf("rank %d: Gather changed src to %v", r, src)
		}
		src[0] = -1
		if r == root {
			for i, v := range dst {
				if want := float32(10*(i/2) + i%2); v != want {
					t.Errorf("root %d: dst[%d] = %v, want %v (dst %v)", root, i, v, want, dst)
				}
			}
		}
	})
}

// TestLocalBarrier: no rank leaves barrier k before every rank has
// arrived at it, over many rounds in a row.
func TestLocalBarrier(t *testing.T) {
	const rounds = 200
	for _, n := range rankCounts {
		var arrived atomic.Int64
		panics := runRanks(n, func(c Comm) {
			for k := 1; k <= rounds; k++ {
				arrived.Add(1)
				if err := c.Barrier(); err != nil {
					panic(err)
				}
				if got := arrived.Load(); got < int64(k*n) {
					panic(fmt.Sprintf("rank %d left barrier %d with %d arrivals, want ≥ %d", c.Rank(), k, got, k*n))
				}
			}
		})
		for r, p := range panics {
			if p != nil {
				t.Errorf("n=%d rank %d: %v", n, r, p)
			}
		}
	}
}

// TestLocalMixedSequence interleaves every collective so that fast ranks
// start the next call while slow ones finish the previous one.
func TestLocalMixedSequence(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		n, r := c.Size(), c.Rank()
		for k := range 100 {
			buf := []float32{float32(r), float32(k)}
			if err := c.AllReduceSum(buf); err != nil {
				t.Fatal(err)
			}
			if buf[0] != float32(n*(n-1)/2) || buf[1] != float32(n*k) {
				t.Fatalf("round %d rank %d: AllReduceSum gave %v", k, r, buf)
			}
			if err := c.Barrier(); err != nil {
				t.Fatal(err)
			}
			b := []byte{byte(r + k)}
			if err := c.BroadcastBytes(b, k%n); err != nil {
				t.Fatal(err)
			}
			if b[0] != byte(k%n+k) {
				t.Fatalf("round %d rank %d: BroadcastBytes gave %d", k, r, b[0])
			}
			if err := c.Barrier(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestLocalZeroLength(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		for _, err := range []error{
			c.AllReduceSum(nil),
			c.AllReduceSum([]float32{}),
			c.AllReduceSum64(nil),
			c.Broadcast(nil, 0),
			c.BroadcastBytes([]byte{}, c.Size()-1),
			c.Gather(nil, nil, 0),
			c.Gather([]float32{}, []float32{}, 0),
			c.Close(),
		} {
			if err != nil {
				t.Errorf("rank %d: %v", c.Rank(), err)
			}
		}
	})
}

func TestLocalBadRoot(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		buf := []float32{1}
		for _, err := range []error{
			c.Broadcast(buf, c.Size()),
			c.BroadcastBytes([]byte{1}, -1),
			c.Gather(nil, buf, c.Size()),
		} {
			if err == nil || !strings.Contains(err.Error(), "outside") {
				t.Errorf("rank %d: got %v, want a root-out-of-range error", c.Rank(), err)
			}
		}
		// The failed calls communicated nothing: the ranks are still in step.
		if err := c.AllReduceSum(buf); err != nil || buf[0] != float32(c.Size()) {
			t.Errorf("rank %d: AllReduceSum after bad roots: %v, %v", c.Rank(), buf, err)
		}
	})
}

// TestLocalMismatchPanics: a rank calling with another length, collective
// or root than the others makes every rank panic, naming the culprit.
func TestLocalMismatchPanics(t *testing.T) {
	cases := []struct {
		name string
		call func(c Comm)
		want string
	}{
		{"length", func(c Comm) { c.AllReduceSum(make([]float32, 4+c.Rank()/2)) },
			"rank 2 called AllReduceSum(len 5, root 0)"},
		{"op", func(c Comm) {
			if c.Rank() == 1 {
				c.Barrier()
			} else {
				c.AllReduceSum64(make([]float64, 3))
			}
		}, "rank 1 called Barrier(len 0, root 0)"},
		{"root", func(c Comm) { c.Broadcast(make([]float32, 2), c.Rank()%2) },
			"rank 1 called Broadcast(len 2, root 1)"},
		{"gather dst", func(c Comm) {
			var dst []float32
			if c.Rank() == 0 {
				dst = make([]float32, 5)
			}
			c.Gather(dst, make([]float32, 2), 0)
		}, "len(dst) = 5 on root 0, want Size()*len(src) = 3*2 = 6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for r, p := range runRanks(3, tc.call) {
				msg, _ := p.(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("rank %d panicked with %q, want it to contain %q", r, msg, tc.want)
				}
			}
		})
	}
}

func TestSingle(t *testing.T) {
	c := Single()
	if c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("Single: rank %d size %d", c.Rank(), c.Size())
	}
	buf := []float32{1.5, -2}
	b64 := []float64{3}
	b := []byte("ab")
	dst := make([]float32, 2)
	for _, err := range []error{
		c.AllReduceSum(buf), c.AllReduceSum(nil), c.AllReduceSum64(b64),
		c.Broadcast(buf, 0), c.BroadcastBytes(b, 0), c.Gather(dst, buf, 0),
		c.Gather(nil, nil, 0), c.Barrier(), c.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if buf[0] != 1.5 || buf[1] != -2 || b64[0] != 3 || string(b) != "ab" || dst[0] != 1.5 || dst[1] != -2 {
		t.Errorf("Single changed buffers or Gather did not copy: %v %v %q %v", buf, b64, b, dst)
	}
	if err := c.Broadcast(buf, 1); err == nil {
		t.Error("Single.Broadcast with root 1: no error")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Single.Gather with a short dst did not panic")
			}
		}()
		c.Gather(make([]float32, 1), buf, 0)
	}()
}

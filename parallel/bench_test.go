package parallel

import (
	"fmt"
	"sync"
	"testing"
)

// gradientLen is the length of a network's flat gradient buffer in the
// benchmarks: 4M float32, 16 MiB.
const gradientLen = 4 << 20

// BenchmarkLocalAllReduce times AllReduceSum on NewLocal ranks, each in its
// own goroutine, for the gradient buffer and for one element (the latency).
// MB/s is the buffer's bytes over the time of one all-reduce.
func BenchmarkLocalAllReduce(b *testing.B) {
	for _, n := range []int{2, 3} {
		for _, length := range []int{gradientLen, 1} {
			b.Run(fmt.Sprintf("ranks=%d/len=%d", n, length), func(b *testing.B) {
				comms := NewLocal(n)
				bufs := make([][]float32, n)
				for i := range bufs {
					bufs[i] = make([]float32, length)
				}
				b.SetBytes(int64(4 * length))
				b.ResetTimer()
				var wg sync.WaitGroup
				for r, c := range comms {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range b.N {
							c.AllReduceSum(bufs[r])
						}
					}()
				}
				wg.Wait()
			})
		}
	}
}

package data

import (
	"runtime"
	"sync"
)

// Threads resolves a thread-count option: t itself if positive, else
// runtime.GOMAXPROCS(0) (all cores).
func Threads(t int) int {
	if t > 0 {
		return t
	}
	return runtime.GOMAXPROCS(0)
}

// ParallelFor splits [0, n) into Threads(threads) contiguous ranges of
// near-equal length and calls fn(worker, lo, hi) for each on its own
// goroutine, returning when all are done. The split depends only on n and the
// thread count, so work assigned by range is deterministic. Workers with an
// empty range are not called.
func ParallelFor(threads, n int, fn func(worker, lo, hi int)) {
	t := min(Threads(threads), max(n, 1))
	if t <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range t {
		lo, hi := w*n/t, (w+1)*n/t
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

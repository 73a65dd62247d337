package eval

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// workers is the number of goroutines for n jobs: threads, or GOMAXPROCS
// when threads <= 0, never more than n.
func workers(threads, n int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return max(1, min(threads, n))
}

// forEach runs job(w, i) for i = 0 … n-1 on workers(threads, n) goroutines;
// w < that number identifies the goroutine, so a job may use per-worker
// scratch. Jobs are handed out in index order. It returns the error of the
// lowest failing index, so the error does not depend on the thread count;
// after a failure no new jobs start.
func forEach(threads, n int, job func(w, i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		errIdx = n
		first  error
		wg     sync.WaitGroup
	)
	for w := range workers(threads, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := job(w, i); err != nil {
					mu.Lock()
					if i < errIdx {
						errIdx, first = i, err
					}
					mu.Unlock()
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return first
}

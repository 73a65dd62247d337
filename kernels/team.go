package kernels

import (
	"runtime"
	"sync"
)

// A Job is a loop body run by Team.For: it processes indices [lo, hi) on the
// given worker (0 ≤ worker < Threads). Jobs are usually pointers to structs
// kept by the caller, so that handing one to For allocates nothing.
type Job interface {
	Run(worker, lo, hi int)
}

// Team runs loops on a fixed set of goroutines. A Team is used by one caller at
// a time: For must not be called concurrently or from inside a Job.
type Team struct {
	threads int
	tasks   chan task
	wg      sync.WaitGroup
	ws      []workspace // per-worker scratch of the GEMM, indexed by worker
	jobs    jobs        // one reusable job per kernel, so calls allocate nothing
	conv    convScratch
}

type task struct {
	job            Job
	worker, lo, hi int
}

// NewTeam starts a team of threads goroutines (the caller's own goroutine is
// one of them). threads ≤ 0 means runtime.GOMAXPROCS(0).
func NewTeam(threads int) *Team {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	t := &Team{threads: threads, tasks: make(chan task), ws: make([]workspace, threads)}
	for i := 1; i < threads; i++ {
		go t.serve()
	}
	return t
}

func (t *Team) serve() {
	for tk := range t.tasks {
		tk.job.Run(tk.worker, tk.lo, tk.hi)
		t.wg.Done()
	}
}

// Threads is the number of workers.
func (t *Team) Threads() int { return t.threads }

// For splits [0, n) into at most Threads contiguous chunks of near-equal size,
// runs job on each, and returns when all are done. Chunk w goes to worker w, so
// a job may keep per-worker scratch indexed by worker.
func (t *Team) For(n int, job Job) { t.ForGrain(n, 1, job) }

// ForGrain is For with chunks of at least grain indices (except when n < grain),
// so that loops too short to amortize waking a worker run on the caller alone.
func (t *Team) ForGrain(n, grain int, job Job) {
	parts := min(t.threads, n/max(grain, 1))
	if parts <= 1 {
		if n > 0 {
			job.Run(0, 0, n)
		}
		return
	}
	t.wg.Add(parts - 1)
	for w := 1; w < parts; w++ {
		t.tasks <- task{job: job, worker: w, lo: w * n / parts, hi: (w + 1) * n / parts}
	}
	// The workers just readied sit in this P's run-next slot, which other Ps
	// steal from only after a delay: without yielding, the "parallel" chunks
	// often run one after another. Yielding lets a worker run here while
	// this goroutine is picked up by another P.
	runtime.Gosched()
	job.Run(0, 0, n/parts)
	t.wg.Wait()
}

// Close stops the team's goroutines. The team must not be used afterwards.
func (t *Team) Close() { close(t.tasks) }

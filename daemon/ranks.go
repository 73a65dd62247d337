package daemon

import (
	"fmt"

	"github.com/cosmogan/cosmogan/parallel"
)

// shareState copies rank 0's batch-norm running statistics to every rank
// after a step, as PyTorch's DDP broadcasts buffers, so that ranks stay
// identical even when each normalizes with its own batch statistics. With
// synchronized batch norm they are identical already. On a GPU the statistics
// go through the host.
func (l *stageLoop) shareState() error {
	r := l.r
	if r.comm.Size() == 1 || r.cfg.Train.SyncBatchNorm {
		return nil
	}
	if err := l.plan.mirror.PullState(); err != nil {
		return err
	}
	for _, t := range l.plan.nets {
		if err := r.comm.Broadcast(t.net.State, 0); err != nil {
			return err
		}
	}
	return l.plan.mirror.PushState()
}

// compareChecksums stops the job if the ranks' parameters have drifted apart.
func (r *runner) compareChecksums(nets []trained, step int) error {
	sums, err := parallel.AllGather64(r.comm, float64(crc(nets)))
	if err != nil {
		return err
	}
	for i, s := range sums {
		if s != sums[0] {
			return fmt.Errorf("step %d: parameters differ across ranks (CRC-32C %08x on rank 0, %08x on rank %d): the ranks no longer train the same model", step, uint32(sums[0]), uint32(s), i)
		}
	}
	return nil
}

// agree turns an error on any rank into an error on every rank, so that no
// rank is left waiting in a collective the failed one will never join.
func (r *runner) agree(err error) error { return agreeOn(r.comm, err) }

// agreeOn is agree for comm, before there is a runner. A rank stopped by a
// signal (ErrStopped) makes the others stopped too, not failed.
func agreeOn(comm parallel.Comm, err error) error { return parallel.Agree(comm, err, ErrStopped) }

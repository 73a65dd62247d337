package daemon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// stageRun is a training stage as the loop drives it. The GAN and AE stages
// differ only in these fields.
type stageRun struct {
	name            string
	steps           int
	batch           int // global batch
	checkpointEvery int
	logEvery        int
	evalEvery       int
	nets            []trained // networks trained by the stage
	// step runs training step s on this rank's part of the batch and returns
	// the values to average over ranks for the log, named by values (valid
	// until the next step), and whether the update was skipped for
	// non-finite gradients.
	step   func(s, rollbacks int) (vals []float64, skipped bool, err error)
	values []string
	// evaluate runs every evalEvery steps and at the end, on every rank, and
	// updates the progress (best, stale); may be nil.
	evaluate func(p *progress) error
	// done reports an early stop (decided identically on every rank).
	done func(p progress) bool
	// extra returns networks saved in numbered checkpoints beside the
	// trained ones (the AE's best encoder so far).
	extra func() []model.NetState
	// restoreExtra loads them back on rank 0.
	restoreExtra func(ck *model.Checkpoint) error
	// mirror is the trainer's copy of the trained networks on its backend.
	// The host networks stay the reference for everything but the steps:
	// the loop pulls the backend's copy before it reads them and pushes them
	// back after it changes them.
	mirror model.Mirror
	stale  bool // the host networks are behind the backend since the last step
}

// pull brings the host networks up to date with the backend.
func (st *stageRun) pull() error {
	if !st.stale {
		return nil
	}
	st.stale = false
	return st.mirror.Pull()
}

// push copies the host networks to the backend.
func (st *stageRun) push() error {
	st.stale = false
	return st.mirror.Push()
}

// ErrStopped is wrapped in the error of a run that a signal stopped after
// writing its checkpoint: starting it again continues it.
var ErrStopped = errors.New("stopped by a signal after writing a checkpoint")

// runStage trains a stage from its latest checkpoint, or from the networks as
// they are, to its last step (or early stop), and leaves the trained networks
// in place. Rank 0 writes the checkpoints; every rank takes part in the
// collectives, in the same order.
func (r *runner) runStage(ctx context.Context, st *stageRun) (progress, error) {
	cp := r.checkpointer(st.name)
	p := progress{Best: math.MaxFloat64, WorldSize: r.comm.Size()} // no evaluation yet
	if err := r.resume(st, cp, &p, false); err != nil {
		return p, err
	}
	if err := st.push(); err != nil {
		return p, err
	}
	save := func(name string) error {
		if err := st.pull(); err != nil {
			return err
		}
		if r.comm.Rank() != 0 {
			return nil
		}
		var extra []model.NetState
		if st.extra != nil {
			extra = st.extra()
		}
		if err := cp.write(newCheckpoint(r, st.name, p, st.nets, extra...), name); err != nil {
			return err
		}
		r.state.Step, r.state.Best = p.Step, nil
		if p.Best != math.MaxFloat64 {
			best := p.Best
			r.state.Best = &best
		}
		return r.dir.writeState(r.state)
	}

	agg := make([]float64, len(st.values)+1) // the values, then the stop flag
	bar := r.newProgressBar(st.name, st.steps, st.batch)
	last, lastStep := time.Now(), p.Step
	for p.Step < st.steps && !(st.done != nil && st.done(p)) {
		skip, stop, err := r.step(ctx, st, &p, agg)
		if err != nil {
			return p, err
		}
		if skip {
			if err := r.skipped(st, cp, &p); err != nil {
				return p, err
			}
		} else {
			p.Skipped = 0
			p.Updates++
			if err := r.afterUpdate(st, &p); err != nil {
				return p, err
			}
			bar.update(p.Step)
			if p.Step%st.logEvery == 0 || p.Step == st.steps {
				r.logStep(st, p.Step, agg, float64((p.Step-lastStep)*st.batch)/time.Since(last).Seconds())
				last, lastStep = time.Now(), p.Step
			}
			if st.evaluate != nil && (p.Step%st.evalEvery == 0 || p.Step == st.steps) {
				if err := st.pull(); err != nil {
					return p, err
				}
				if err := st.evaluate(&p); err != nil {
					return p, err
				}
			}
		}
		// A stop is honoured after every step, skipped or not, so that a
		// signal ends a run that is skipping steps too.
		if stop || (!skip && p.Step%st.checkpointEvery == 0 && p.Step < st.steps) {
			if err := save(""); err != nil {
				return p, err
			}
		}
		if stop {
			bar.done()
			return p, fmt.Errorf("%s stage at step %d: %w: %w", st.name, p.Step, ErrStopped, ctx.Err())
		}
	}
	bar.done()
	if err := st.pull(); err != nil {
		return p, err
	}
	if p.Updates == 0 && st.steps > 0 {
		return p, fmt.Errorf("%s stage ended after %d steps without applying one update (every step was skipped for non-finite gradients): %w",
			st.name, p.Step, errDiverged)
	}
	if p.Step < st.steps {
		r.log.Info().Int("step", p.Step).Int("best_step", p.BestStep).Msg("early stop: the evaluations stopped improving")
	}
	return p, nil
}

// step runs training step p.Step on this rank's part of the batch, averages
// its values over the ranks into agg and advances p.Step. It reports whether
// the update was skipped (non-finite gradients on some rank) and whether any
// rank was asked to stop.
func (r *runner) step(ctx context.Context, st *stageRun, p *progress, agg []float64) (skip, stop bool, err error) {
	vals, skip, err := st.step(p.Step, p.Rollbacks)
	if err != nil {
		return false, false, err
	}
	copy(agg, vals)
	agg[len(agg)-1] = 0
	if interrupted(ctx) {
		agg[len(agg)-1] = 1
	}
	if err := r.comm.AllReduceSum64(agg); err != nil {
		return false, false, err
	}
	for i := range vals {
		agg[i] /= float64(r.comm.Size())
	}
	p.Step++
	st.stale = true
	return skip, agg[len(agg)-1] > 0, nil
}

// skipped counts a skipped update, and rolls the stage back to its last
// checkpoint after too many in a row.
func (r *runner) skipped(st *stageRun, cp checkpointer, p *progress) error {
	p.Skipped++
	r.log.Warn().Int("step", p.Step).Int("in_a_row", p.Skipped).Msg("update skipped: gradients not finite on some rank")
	if p.Skipped < r.cfg.Train.MaxSkippedSteps {
		return nil
	}
	return r.rollback(st, cp, p)
}

// afterUpdate keeps the ranks identical after an applied update: batch-norm
// statistics shared, parameters compared every checksum_every steps.
func (r *runner) afterUpdate(st *stageRun, p *progress) error {
	if err := r.shareState(st); err != nil {
		return err
	}
	if p.Step%r.cfg.Train.ChecksumEvery != 0 {
		return nil
	}
	if err := st.pull(); err != nil {
		return err
	}
	return r.compareChecksums(st.nets, p.Step)
}

// logStep logs the values of a step averaged over ranks, records them, and
// shows them on the status endpoint.
func (r *runner) logStep(st *stageRun, step int, agg []float64, rate float64) {
	ev := r.log.Info().Int("step", step).Int("of", st.steps)
	values := make(map[string]float64, len(st.values))
	for i, name := range st.values {
		ev = ev.Float64(name, agg[i])
		values[name] = agg[i]
	}
	ev.Float64("samples_per_s", rate).Msg(st.name)
	r.metrics.write(Metric{Stage: st.name, Step: step, Kind: MetricTrain, Values: values, SamplesPerS: rate})
	r.status.record(st.name, step, st.steps, st.batch, rate, st.values, agg[:len(st.values)])
}

// resume restores the latest checkpoint on rank 0, if there is one, and
// broadcasts the networks and the progress, so every rank starts from the
// same point whether or not there was one. With needed (a rollback), no
// checkpoint is an error: the networks as they are are what diverged.
func (r *runner) resume(st *stageRun, cp checkpointer, p *progress, needed bool) error {
	var err error
	if r.comm.Rank() == 0 {
		ck := cp.latest()
		switch {
		case ck != nil:
			if err = r.restoreFrom(ck, st, p); err == nil {
				r.log.Info().Int("step", p.Step).Msg("resuming from checkpoint")
			}
		case needed:
			err = fmt.Errorf("%s stage at step %d: gradients not finite for %d steps in a row and no checkpoint to roll back to: %w (try a lower learning rate, or check the data for NaN)",
				st.name, p.Step, r.cfg.Train.MaxSkippedSteps, errDiverged)
		}
	}
	if err := r.agree(err); err != nil {
		return err
	}
	if err := parallel.BroadcastJSON(r.comm, p, 0); err != nil {
		return err
	}
	return broadcastNets(r.comm, st.nets)
}

func (r *runner) restoreFrom(ck *model.Checkpoint, st *stageRun, p *progress) error {
	var err error
	if *p, err = restore(ck, r.cfg.Model, st.nets); err != nil {
		return err
	}
	if p.WorldSize != r.comm.Size() {
		r.log.Warn().Int("checkpoint_world_size", p.WorldSize).Int("world_size", r.comm.Size()).
			Msg("resuming with another number of ranks: the run continues, but not bitwise as it would have")
		p.WorldSize = r.comm.Size()
	}
	if st.restoreExtra != nil {
		return st.restoreExtra(ck)
	}
	return nil
}

// rollback returns the stage to its latest checkpoint after too many skipped
// steps in a row, with new random draws; after too many rollbacks it gives
// up.
func (r *runner) rollback(st *stageRun, cp checkpointer, p *progress) error {
	rollbacks := p.Rollbacks + 1
	if rollbacks > r.cfg.Train.MaxRollbacks {
		return fmt.Errorf("%s stage at step %d: gradients kept going non-finite after %d rollbacks to the last checkpoint: %w (try a lower learning rate, or check the data for NaN)",
			st.name, p.Step, r.cfg.Train.MaxRollbacks, errDiverged)
	}
	r.log.Warn().Int("step", p.Step).Int("rollback", rollbacks).Msg("rolling back to the last checkpoint")
	if err := r.resume(st, cp, p, true); err != nil {
		return err
	}
	if err := st.push(); err != nil {
		return err
	}
	p.Rollbacks, p.Skipped = rollbacks, 0
	return nil
}

// shareState copies rank 0's batch-norm running statistics to every rank
// after a step, as PyTorch's DDP broadcasts buffers, so that ranks stay
// identical even when each normalizes with its own batch statistics. With
// synchronized batch norm they are identical already. On a GPU the statistics
// go through the host.
func (r *runner) shareState(st *stageRun) error {
	if r.comm.Size() == 1 || r.cfg.Train.SyncBatchNorm {
		return nil
	}
	if err := st.mirror.PullState(); err != nil {
		return err
	}
	for _, t := range st.nets {
		if err := r.comm.Broadcast(t.net.State, 0); err != nil {
			return err
		}
	}
	return st.mirror.PushState()
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

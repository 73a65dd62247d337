package daemon

import (
	"fmt"

	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// resume restores the latest checkpoint on rank 0, if there is one, and
// broadcasts the networks and the progress, so every rank starts from the
// same point whether or not there was one. With needed (a rollback), no
// checkpoint is an error: the networks as they are are what diverged.
func (l *stageLoop) resume(needed bool) error {
	r := l.r
	var err error
	if r.comm.Rank() == 0 {
		ck := l.cp.latest()
		switch {
		case ck != nil:
			if err = l.restoreFrom(ck); err == nil {
				r.log.Info().Int("step", l.p.Step).Msg("resuming from checkpoint")
			}
		case needed:
			err = fmt.Errorf("%s stage at step %d: gradients not finite for %d steps in a row and no checkpoint to roll back to: %w (try a lower learning rate, or check the data for NaN)",
				l.plan.name, l.p.Step, r.cfg.Train.MaxSkippedSteps, errDiverged)
		}
	}
	if err := r.agree(err); err != nil {
		return err
	}
	if err := parallel.BroadcastJSON(r.comm, &l.p, 0); err != nil {
		return err
	}
	return broadcastNets(r.comm, l.plan.nets)
}

func (l *stageLoop) restoreFrom(ck *model.Checkpoint) error {
	r := l.r
	var err error
	if l.p, err = restore(ck, r.cfg.Model, l.plan.nets); err != nil {
		return err
	}
	if l.p.WorldSize != r.comm.Size() {
		r.log.Warn().Int("checkpoint_world_size", l.p.WorldSize).Int("world_size", r.comm.Size()).
			Msg("resuming with another number of ranks: the run continues, but not bitwise as it would have")
		l.p.WorldSize = r.comm.Size()
	}
	if e, ok := l.st.(extraNets); ok {
		return e.restoreExtra(ck)
	}
	return nil
}

// rollback returns the stage to its latest checkpoint after too many skipped
// steps in a row, with new random draws; after too many rollbacks it gives
// up.
func (l *stageLoop) rollback() error {
	r := l.r
	rollbacks := l.p.Rollbacks + 1
	if rollbacks > r.cfg.Train.MaxRollbacks {
		return fmt.Errorf("%s stage at step %d: gradients kept going non-finite after %d rollbacks to the last checkpoint: %w (try a lower learning rate, or check the data for NaN)",
			l.plan.name, l.p.Step, r.cfg.Train.MaxRollbacks, errDiverged)
	}
	r.log.Warn().Int("step", l.p.Step).Int("rollback", rollbacks).Msg("rolling back to the last checkpoint")
	if err := l.resume(true); err != nil {
		return err
	}
	if err := l.push(); err != nil {
		return err
	}
	l.p.Rollbacks, l.p.Skipped = rollbacks, 0
	return nil
}

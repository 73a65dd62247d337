package daemon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cosmogan/cosmogan/model"
)

// A stage is a training stage as runStage drives it: its plan, and its step.
// A stage type holds its own state (networks, trainer, batch, random
// streams) as fields; what only some stages do is an optional interface
// (evaluator, earlyStopper, extraNets), as a task driver of Nomad implements
// only the lifecycle hooks it needs.
type stage interface {
	plan() *stagePlan
	// step runs training step s on this rank's part of the batch and
	// returns the values to average over the ranks for the log, named by
	// the plan's values (valid until the next step), and whether the update
	// was skipped for non-finite gradients.
	step(s, rollbacks int) (vals []float64, skipped bool, err error)
}

// evaluator is a stage evaluated every evalEvery steps and at the end, on
// every rank, after the loop pulled the host networks; it updates the
// progress (best, stale).
type evaluator interface {
	evaluate(p *progress) error
}

// earlyStopper is a stage that may end before its last step, decided
// identically on every rank.
type earlyStopper interface {
	stopEarly(p progress) bool
}

// extraNets is a stage that saves networks beside the trained ones in its
// numbered checkpoints (the AE's best encoder so far), and loads them back
// on rank 0 when it resumes.
type extraNets interface {
	extra() []model.NetState
	restoreExtra(ck *model.Checkpoint) error
}

// stagePlan is what every stage gives the loop; a stage type embeds it.
type stagePlan struct {
	name            string
	steps           int
	batch           int // global batch
	checkpointEvery int
	logEvery        int
	evalEvery       int
	nets            []trained // networks trained by the stage
	values          []string  // the names of step's values
	// mirror is the trainer's copy of the trained networks on its backend.
	// The host networks stay the reference for everything but the steps:
	// the loop pulls the backend's copy before it reads them and pushes
	// them back after it changes them.
	mirror model.Mirror
}

func (p *stagePlan) plan() *stagePlan { return p }

// finishingStage is a stage that writes its results when it has run.
type finishingStage interface {
	stage
	finish(p progress) error
}

// trainStage runs a training stage on the loaded data: newStage builds it (its
// trainer released at the end), runStage trains it, and it finishes.
func (r *runner) trainStage(ctx context.Context, newStage func() (finishingStage, error)) error {
	if err := r.loadData(); err != nil {
		return err
	}
	st, err := newStage()
	if err != nil {
		return err
	}
	defer st.plan().mirror.Close()
	p, err := r.runStage(ctx, st)
	if err != nil {
		return err
	}
	return st.finish(p)
}

// ErrStopped is wrapped in the error of a run that a signal stopped after
// writing its checkpoint: starting it again continues it.
var ErrStopped = errors.New("stopped by a signal after writing a checkpoint")

// runStage trains a stage from its latest checkpoint, or from the networks as
// they are, to its last step (or early stop), and leaves the trained networks
// in place. Rank 0 writes the checkpoints; every rank takes part in the
// collectives, in the same order.
func (r *runner) runStage(ctx context.Context, st stage) (progress, error) {
	l, err := r.startStage(st)
	if err != nil {
		return l.p, err
	}
	for l.p.Step < l.plan.steps && !l.stopsEarly() {
		skip, stop, err := l.step(ctx)
		if err == nil && skip {
			err = l.skipped()
		} else if err == nil {
			err = l.applied()
		}
		// A stop is honoured after every step, skipped or not, so that a
		// signal ends a run that is skipping steps too.
		if err == nil && (stop || !skip && l.checkpointDue()) {
			err = l.checkpoint("")
		}
		if err != nil {
			return l.p, err
		}
		if stop {
			return l.p, l.stopped(ctx)
		}
	}
	return l.p, l.finish()
}

// stageLoop is one run of runStage: the stage, its progress and what the
// loop's steps share.
type stageLoop struct {
	r    *runner
	st   stage
	plan *stagePlan
	cp   checkpointer
	p    progress
	agg  []float64 // the step's values averaged over the ranks, then the stop flag
	bar  *progressBar
	// the time and step of the latest log line, for its samples/s
	logged     time.Time
	loggedStep int
	stale      bool // the host networks are behind the backend since the last step
}

// startStage resumes st from its latest checkpoint, if any, and gives the
// backend the networks to start from.
func (r *runner) startStage(st stage) (*stageLoop, error) {
	plan := st.plan()
	l := &stageLoop{r: r, st: st, plan: plan, cp: r.checkpointer(plan.name),
		p:   progress{Best: math.MaxFloat64, WorldSize: r.comm.Size()}, // no evaluation yet
		agg: make([]float64, len(plan.values)+1)}
	if err := l.resume(false); err != nil {
		return l, err
	}
	if err := l.push(); err != nil {
		return l, err
	}
	l.bar = r.newProgressBar(plan.name, plan.steps, plan.batch)
	l.logged, l.loggedStep = time.Now(), l.p.Step
	return l, nil
}

func (l *stageLoop) stopsEarly() bool {
	e, ok := l.st.(earlyStopper)
	return ok && e.stopEarly(l.p)
}

// step runs training step p.Step on this rank's part of the batch, averages
// its values over the ranks into agg and advances p.Step. It reports whether
// the update was skipped (non-finite gradients on some rank) and whether any
// rank was asked to stop.
func (l *stageLoop) step(ctx context.Context) (skip, stop bool, err error) {
	vals, skip, err := l.st.step(l.p.Step, l.p.Rollbacks)
	if err != nil {
		return false, false, err
	}
	agg, comm := l.agg, l.r.comm
	copy(agg, vals)
	agg[len(agg)-1] = 0
	if interrupted(ctx) {
		agg[len(agg)-1] = 1
	}
	if err := comm.AllReduceSum64(agg); err != nil {
		return false, false, err
	}
	for i := range vals {
		agg[i] /= float64(comm.Size())
	}
	l.p.Step++
	l.stale = true
	return skip, agg[len(agg)-1] > 0, nil
}

// skipped counts a skipped update, and rolls the stage back to its last
// checkpoint after too many in a row.
func (l *stageLoop) skipped() error {
	l.p.Skipped++
	l.r.log.Warn().Int("step", l.p.Step).Int("in_a_row", l.p.Skipped).Msg("update skipped: gradients not finite on some rank")
	if l.p.Skipped < l.r.cfg.Train.MaxSkippedSteps {
		return nil
	}
	return l.rollback()
}

// applied follows a step whose update was applied: the ranks kept
// identical, the step shown, logged and recorded, the stage evaluated when
// due.
func (l *stageLoop) applied() error {
	l.p.Skipped = 0
	l.p.Updates++
	if err := l.keepRanksIdentical(); err != nil {
		return err
	}
	l.bar.update(l.p.Step)
	if l.due(l.plan.logEvery) {
		l.logStep()
	}
	ev, ok := l.st.(evaluator)
	if !ok || !l.due(l.plan.evalEvery) {
		return nil
	}
	if err := l.pull(); err != nil {
		return err
	}
	return ev.evaluate(&l.p)
}

// due reports whether something done every `every` steps, and after the
// last, is due after the current step.
func (l *stageLoop) due(every int) bool { return l.p.Step%every == 0 || l.p.Step == l.plan.steps }

// checkpointDue reports whether a numbered checkpoint is due after the
// current step (the last step's is the stage's final one, not numbered).
func (l *stageLoop) checkpointDue() bool {
	return l.p.Step%l.plan.checkpointEvery == 0 && l.p.Step < l.plan.steps
}

// keepRanksIdentical keeps the ranks identical after an applied update:
// batch-norm statistics shared, parameters compared every checksum_every
// steps.
func (l *stageLoop) keepRanksIdentical() error {
	if err := l.shareState(); err != nil {
		return err
	}
	if l.p.Step%l.r.cfg.Train.ChecksumEvery != 0 {
		return nil
	}
	if err := l.pull(); err != nil {
		return err
	}
	return l.r.compareChecksums(l.plan.nets, l.p.Step)
}

// logStep logs the values of a step averaged over ranks, records them, and
// shows them on the status endpoint.
func (l *stageLoop) logStep() {
	r, plan, step := l.r, l.plan, l.p.Step
	rate := float64((step-l.loggedStep)*plan.batch) / time.Since(l.logged).Seconds()
	l.logged, l.loggedStep = time.Now(), step
	ev := r.log.Info().Int("step", step).Int("of", plan.steps)
	values := make(map[string]float64, len(plan.values))
	for i, name := range plan.values {
		ev = ev.Float64(name, l.agg[i])
		values[name] = l.agg[i]
	}
	ev.Float64("samples_per_s", rate).Msg(plan.name)
	r.metrics.write(Metric{Stage: plan.name, Step: step, Kind: MetricTrain, Values: values, SamplesPerS: rate})
	r.status.record(plan.name, step, plan.steps, plan.batch, rate, plan.values, l.agg[:len(plan.values)])
}

// checkpoint writes a checkpoint of the stage (rank 0) with the host
// networks brought up to date, and the step and best score in state.json.
func (l *stageLoop) checkpoint(name string) error {
	if err := l.pull(); err != nil {
		return err
	}
	r := l.r
	if r.comm.Rank() != 0 {
		return nil
	}
	var extra []model.NetState
	if e, ok := l.st.(extraNets); ok {
		extra = e.extra()
	}
	if err := l.cp.write(newCheckpoint(r, l.plan.name, l.p, l.plan.nets, extra...), name); err != nil {
		return err
	}
	r.state.Step, r.state.Best = l.p.Step, nil
	if l.p.Best != math.MaxFloat64 {
		best := l.p.Best
		r.state.Best = &best
	}
	return r.dir.writeState(r.state)
}

// stopped ends a stage that a signal stopped, its checkpoint written.
func (l *stageLoop) stopped(ctx context.Context) error {
	l.bar.done()
	return fmt.Errorf("%s stage at step %d: %w: %w", l.plan.name, l.p.Step, ErrStopped, ctx.Err())
}

// finish ends a stage that ran to its last step or stopped early, with the
// host networks up to date. A stage that applied no update fails.
func (l *stageLoop) finish() error {
	l.bar.done()
	if err := l.pull(); err != nil {
		return err
	}
	if l.p.Updates == 0 && l.plan.steps > 0 {
		return fmt.Errorf("%s stage ended after %d steps without applying one update (every step was skipped for non-finite gradients): %w",
			l.plan.name, l.p.Step, errDiverged)
	}
	if l.p.Step < l.plan.steps {
		l.r.log.Info().Int("step", l.p.Step).Int("best_step", l.p.BestStep).Msg("early stop: the evaluations stopped improving")
	}
	return nil
}

// pull brings the host networks up to date with the backend.
func (l *stageLoop) pull() error {
	if !l.stale {
		return nil
	}
	l.stale = false
	return l.plan.mirror.Pull()
}

// push copies the host networks to the backend.
func (l *stageLoop) push() error {
	l.stale = false
	return l.plan.mirror.Push()
}

package daemon

import (
	"time"
)

// worldSizeChange is one change of the number of ranks between two runs of
// one run directory, as state.json keeps it: the run continued at Step of
// Stage (its last checkpoint) on To ranks after running on From. The global
// batch and its random draws do not depend on the number of ranks, so the
// run goes on as it would have, to float32 rounding (the sums over ranks
// associate differently) when train.sync_batchnorm normalizes over the
// global batch.
type worldSizeChange struct {
	Stage string `json:"stage"`
	Step  int    `json:"step"`
	From  int    `json:"from"`
	To    int    `json:"to"`
	Time  string `json:"time"` // UTC, RFC 3339
}

// recordWorldSize compares this run's number of ranks with the one
// state.json holds, and keeps it there: a change is logged and appended to
// state.json's world_size_changes, which rank 0 writes at once (not at the
// next checkpoint, which a run that fails soon after would not reach). A
// state.json without world_size (a new run, or one an earlier version began)
// only learns it. Every rank holds the same state and calls this at once.
func (r *runner) recordWorldSize() error {
	size, was := r.comm.Size(), r.state.WorldSize
	if was == size {
		return nil
	}
	r.state.WorldSize = size
	if was != 0 {
		r.state.WorldSizeChanges = append(r.state.WorldSizeChanges, worldSizeChange{
			Stage: r.state.Stage, Step: r.state.Step, From: was, To: size, Time: time.Now().UTC().Format(time.RFC3339)})
		r.log.Warn().Str("stage", r.state.Stage).Int("step", r.state.Step).Int("from", was).Int("to", size).
			Msg("world size changed: the run continues from its last checkpoint on another number of ranks")
	}
	var err error
	if r.comm.Rank() == 0 {
		err = r.dir.writeState(r.state)
	}
	return r.agree(err)
}

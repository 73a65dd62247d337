package daemon

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// loopRunner is a runner with a one-layer network, for driving runStage with
// scripted steps.
func loopRunner(t *testing.T) (*runner, []trained) {
	t.Helper()
	cfg := tinyConfig(t)
	cfg.Train.MaxSkippedSteps, cfg.Train.MaxRollbacks = 3, 2
	team := kernels.NewTeam(1)
	t.Cleanup(team.Close)
	dir := runDir(t.TempDir())
	if err := dir.prepare(cfg); err != nil {
		t.Fatal(err)
	}
	net, err := model.NewNet("G", model.Shape{C: 2, Spatial: [3]int{1, 1, 1}}, &model.Dense{Out: 2, Bias: true})
	if err != nil {
		t.Fatal(err)
	}
	net.Init(rand.New(rand.NewPCG(1, 1)))
	r := &runner{cfg: cfg, dir: dir, log: NewLogger(0), team: team, ws: model.NewWorkspace(team), comm: parallel.Single(),
		state: runState{Weights: map[string]string{}}}
	return r, []trained{{net, model.NewAdam(model.DefaultAdam(), len(net.Params))}}
}

// TestSkippedStepsRollBack scripts a stage whose steps fail (non-finite
// gradients) from step 12 on while no rollback has happened: after 3 skipped
// steps in a row it must roll back to the checkpoint of step 10, redo the
// steps with new draws (rollbacks = 1), and finish.
func TestSkippedStepsRollBack(t *testing.T) {
	r, nets := loopRunner(t)
	var seen []int
	st := &scripted{stagePlan: stagePlan{name: stageGAN, steps: 20, batch: 1, checkpointEvery: 5, logEvery: 100, evalEvery: 100, nets: nets,
		values: []string{"loss"}, mirror: cpuMirror{}},
		script: func(s, rollbacks int) ([]float64, bool, error) {
			seen = append(seen, s*10+rollbacks)
			nets[0].net.Params[0] += 1 // a visible update
			return []float64{1}, s >= 12 && rollbacks == 0, nil
		}}
	p, err := r.runStage(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if p.Step != 20 || p.Rollbacks != 1 {
		t.Errorf("ended at step %d after %d rollbacks, want 20 after 1", p.Step, p.Rollbacks)
	}
	// Steps 12, 13, 14 skipped, then back to step 10 with rollbacks = 1.
	want := []int{120, 130, 140, 101, 111, 121}
	if !slices.Equal(seen[12:18], want) {
		t.Errorf("steps (step·10 + rollbacks) from step 12 on: %v, want %v", seen[12:18], want)
	}
}

// TestRepeatedRollbacksGiveUp scripts a stage that always fails: it must stop
// with an error after max_rollbacks rollbacks.
func TestRepeatedRollbacksGiveUp(t *testing.T) {
	r, nets := loopRunner(t)
	st := &scripted{stagePlan: stagePlan{name: stageGAN, steps: 20, batch: 1, checkpointEvery: 5, logEvery: 100, evalEvery: 100, nets: nets,
		values: []string{"loss"}, mirror: cpuMirror{}},
		script: func(s, rollbacks int) ([]float64, bool, error) { return []float64{1}, s >= 7, nil }}
	_, err := r.runStage(context.Background(), st)
	if !errors.Is(err, errDiverged) || !strings.Contains(err.Error(), "after 2 rollbacks") {
		t.Fatalf("error %v, want the stage to give up after 2 rollbacks", err)
	}
}

// fakeDevice is a mirror whose "device" copy is one number, the first
// parameter of the network, and which records the loop's calls.
type fakeDevice struct {
	host   *model.Net
	value  float32
	events []string
}

func (f *fakeDevice) Pull() error {
	f.host.Params[0] = f.value
	f.events = append(f.events, "pull")
	return nil
}
func (f *fakeDevice) Push() error {
	f.value = f.host.Params[0]
	f.events = append(f.events, "push")
	return nil
}
func (f *fakeDevice) PullState() error { f.events = append(f.events, "pull-state"); return nil }
func (f *fakeDevice) PushState() error { f.events = append(f.events, "push-state"); return nil }
func (f *fakeDevice) Close()           {}

// scripted is a stage whose steps follow a script.
type scripted struct {
	stagePlan
	script func(s, rollbacks int) ([]float64, bool, error)
}

func (st *scripted) step(s, rollbacks int) ([]float64, bool, error) { return st.script(s, rollbacks) }

// cpuMirror is the mirror of a stage on the CPU, where the host networks are
// the trained ones.
type cpuMirror struct{}

func (cpuMirror) Pull() error      { return nil }
func (cpuMirror) Push() error      { return nil }
func (cpuMirror) PullState() error { return nil }
func (cpuMirror) PushState() error { return nil }
func (cpuMirror) Close()           {}

// TestDeviceCopyIsPulledAndPushed drives the loop with a device whose steps
// change only the device copy: the loop must push the host networks at the
// start and after a rollback, and pull them before it checksums, checkpoints
// or ends, once per step at most; the rollback must bring the device back to
// the checkpoint. The real device is tested in TestGPURunMatchesCPURun.
func TestDeviceCopyIsPulledAndPushed(t *testing.T) {
	r, nets := loopRunner(t)
	dev := &fakeDevice{host: nets[0].net}
	st := &scripted{stagePlan: stagePlan{name: stageGAN, steps: 12, batch: 1, checkpointEvery: 5, logEvery: 100, evalEvery: 100, nets: nets,
		values: []string{"loss"}, mirror: dev},
		script: func(s, rollbacks int) ([]float64, bool, error) {
			dev.value++ // a visible update, on the device only
			return []float64{1}, s >= 6 && s < 9 && rollbacks == 0, nil
		}}
	start := nets[0].net.Params[0]
	p, err := r.runStage(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	// checksum_every = 5 in configs/tiny.toml: checksums and checkpoints at 5
	// and 10, skipped steps 7, 8, 9, the rollback to 5, the end at 12.
	want := []string{"push", "pull", "push", "pull", "pull"}
	if !slices.Equal(dev.events, want) {
		t.Errorf("device calls %v, want %v", dev.events, want)
	}
	// 5 steps, 4 more before the rollback (whose updates it undoes), 7 after.
	if p.Rollbacks != 1 || nets[0].net.Params[0] != start+12 || dev.value != start+12 {
		t.Errorf("after %d rollbacks the host holds %g and the device %g, want 1 rollback and %g on both",
			p.Rollbacks, nets[0].net.Params[0], dev.value, start+12)
	}
}

// TestRollbackWithoutCheckpointFails scripts a stage whose steps fail before
// its first checkpoint: there is nothing to roll back to, so the stage must
// fail, not "restore" the networks that diverged and go on.
func TestRollbackWithoutCheckpointFails(t *testing.T) {
	r, nets := loopRunner(t)
	st := &scripted{stagePlan: stagePlan{name: stageGAN, steps: 20, batch: 1, checkpointEvery: 10, logEvery: 100, evalEvery: 100, nets: nets,
		values: []string{"loss"}, mirror: cpuMirror{}},
		script: func(s, rollbacks int) ([]float64, bool, error) { return []float64{1}, s >= 2, nil }}
	_, err := r.runStage(context.Background(), st)
	if !errors.Is(err, errDiverged) || !strings.Contains(err.Error(), "no checkpoint to roll back to") {
		t.Fatalf("error %v, want divergence with no checkpoint", err)
	}
}

// TestStageWithoutOneUpdateFails skips every step of a stage shorter than
// max_skipped_steps: it ends without a rollback, and must not end as a
// success with untrained weights.
func TestStageWithoutOneUpdateFails(t *testing.T) {
	r, nets := loopRunner(t)
	st := &scripted{stagePlan: stagePlan{name: stageGAN, steps: 2, batch: 1, checkpointEvery: 10, logEvery: 100, evalEvery: 100, nets: nets,
		values: []string{"loss"}, mirror: cpuMirror{}},
		script: func(s, rollbacks int) ([]float64, bool, error) { return []float64{1}, true, nil }}
	_, err := r.runStage(context.Background(), st)
	if !errors.Is(err, errDiverged) || !strings.Contains(err.Error(), "without applying one update") {
		t.Fatalf("error %v, want a failure for a stage without updates", err)
	}
}

// TestSignalStopsASkippingStage stops a stage whose every step is skipped:
// the stop must be honoured after the step it arrives in.
func TestSignalStopsASkippingStage(t *testing.T) {
	r, nets := loopRunner(t)
	r.cfg.Train.MaxSkippedSteps = 1000
	steps := 0
	st := &scripted{stagePlan: stagePlan{name: stageGAN, steps: 100, batch: 1, checkpointEvery: 10, logEvery: 100, evalEvery: 100, nets: nets,
		values: []string{"loss"}, mirror: cpuMirror{}},
		script: func(s, rollbacks int) ([]float64, bool, error) { steps++; return []float64{1}, true, nil }}
	_, err := r.runStage(newStopAfter(3), st)
	if !errors.Is(err, ErrStopped) || steps != 4 {
		t.Fatalf("error %v after %d steps, want a stop after 4", err, steps)
	}
}

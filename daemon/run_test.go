package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

func tinyConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := LoadConfig("../configs/tiny.toml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRunWritesEveryOutput(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	gen, err := data.ReadNPY(filepath.Join(dir, "samples", "generated.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if s := gen.Shape(); len(s) != 3 || s[0] != cfg.Out.Samples || s[1] != cfg.Model.Size || s[2] != cfg.Model.Size {
		t.Errorf("generated.npy has shape %v, want (%d, %d, %d)", s, cfg.Out.Samples, cfg.Model.Size, cfg.Model.Size)
	}
	for _, v := range gen.Data().([]float32) {
		if !(v >= -1 && v <= 1) {
			t.Fatalf("generated value %g outside tanh's range", v)
		}
	}
	lat, err := data.ReadNPY(filepath.Join(dir, "samples", "latent.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if s := lat.Shape(); s[0] != cfg.AE.ValidationCrops || s[1] != cfg.Model.Latent {
		t.Errorf("latent.npy has shape %v, want (%d, %d)", s, cfg.AE.ValidationCrops, cfg.Model.Latent)
	}
	for _, fig := range []string{"real_vs_generated.png", "ae_reconstruction.png"} {
		f, err := os.Open(filepath.Join(dir, "figures", fig))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", fig, err)
		}
		if w := img.Bounds().Dx(); w < cfg.Out.FigurePanels*cfg.Model.Size {
			t.Errorf("%s is %d pixels wide, want at least %d panels of %d", fig, w, cfg.Out.FigurePanels, cfg.Model.Size)
		}
	}
	for _, f := range []string{"report/gan/report.json", "report/gan/stats.png", "report/gan/report.html",
		"report/ae/report.json", "report/ae/dice.png", "report/losses.png", "report/report.html", "data/meta.json", "status.addr"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	var aeReport struct {
		Dice *struct{ Mean []float64 } `json:"dice"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "report/ae/report.json")); err != nil || json.Unmarshal(b, &aeReport) != nil || aeReport.Dice == nil {
		t.Errorf("report/ae/report.json has no Dice overlap of the paired reconstructions (%v)", err)
	}
	for _, ck := range []string{"gan-final.ckpt", "gan-best.ckpt", "ae-final.ckpt"} {
		if _, err := model.ReadCheckpoint(filepath.Join(dir, "checkpoints", ck)); err != nil {
			t.Error(err)
		}
	}
	st, err := runDir(dir).readState()
	if err != nil || st.Stage != stageDone {
		t.Errorf("state %+v, %v; want stage done", st, err)
	}
	// A finished run is not redone: running again changes no output.
	before, _ := os.ReadFile(filepath.Join(dir, "checkpoints", "ae-final.ckpt"))
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "checkpoints", "ae-final.ckpt"))
	if !bytes.Equal(before, after) {
		t.Error("running a finished run again rewrote its final checkpoint")
	}
}

// stopAfter is a context that reports itself done after n checks: a
// deterministic stand-in for a signal arriving between two training steps.
type stopAfter struct {
	context.Context
	n    int
	done chan struct{}
}

func newStopAfter(n int) *stopAfter {
	c := &stopAfter{Context: context.Background(), n: n, done: make(chan struct{})}
	close(c.done)
	return c
}

func (c *stopAfter) Done() <-chan struct{} {
	if c.n--; c.n < 0 {
		return c.done
	}
	return nil
}

// Err is nil until Done has fired, so that checks of Err (between fields of
// the data stage) do not count as steps.
func (c *stopAfter) Err() error {
	if c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestInterruptedRunResumesExactly interrupts a run in the GAN stage and again
// in the AE stage, continues it, and checks that the final networks are
// bitwise those of an uninterrupted run: with the paper's recipe, and with
// the additions whose state and draws must survive too (spectral norm's
// singular vectors, the average of G's weights, D's own learning rate, the
// AE's latent regression).
func TestInterruptedRunResumesExactly(t *testing.T) {
	stabilized := tinyConfig(t)
	stabilized.Model.DNorm = "spectral"
	stabilized.GAN.GEMA = 0.9
	stabilized.GAN.LRD = 4e-4
	stabilized.AE.LatentWeight = 1
	stabilized.GAN.ModeSeeking = 1
	for name, cfg := range map[string]Config{"paper": tinyConfig(t), "stabilized": stabilized} {
		t.Run(name, func(t *testing.T) {
			cfg.GAN.CheckpointEvery = 1000 // only the interruption writes a checkpoint
			cfg.AE.CheckpointEvery = 1000
			whole := t.TempDir()
			if err := Run(context.Background(), cfg, whole, parallel.Single()); err != nil {
				t.Fatal(err)
			}
			split := t.TempDir()
			for _, stopAt := range []int{7, 13 + cfg.GAN.Steps - 7} {
				err := Run(newStopAfter(stopAt), cfg, split, parallel.Single())
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("interrupted run returned %v, want context.Canceled", err)
				}
			}
			if err := Run(context.Background(), cfg, split, parallel.Single()); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"gan-final.ckpt", "ae-final.ckpt"} {
				a, err := model.ReadCheckpoint(filepath.Join(whole, "checkpoints", name))
				if err != nil {
					t.Fatal(err)
				}
				b, err := model.ReadCheckpoint(filepath.Join(split, "checkpoints", name))
				if err != nil {
					t.Fatal(err)
				}
				if cfg.GAN.GEMA > 0 && name == "gan-final.ckpt" {
					netOf(t, a, model.EMAName)
				}
				if cfg.GAN.GEMA > 0 && name == "ae-final.ckpt" { // the decoder is the GAN's average of G
					best, err := model.ReadCheckpoint(filepath.Join(whole, "checkpoints", "gan-best.ckpt"))
					if err != nil {
						t.Fatal(err)
					}
					if !equalBits(netOf(t, a, "G").Params, netOf(t, best, model.EMAName).Params) {
						t.Error("the AE's decoder is not the best GAN checkpoint's average of G")
					}
				}
				for i := range a.Nets {
					if !equalBits(a.Nets[i].Params, b.Nets[i].Params) || !equalBits(a.Nets[i].State, b.Nets[i].State) {
						t.Errorf("%s: network %s differs between the interrupted and the uninterrupted run", name, a.Nets[i].Name)
					}
				}
			}
		})
	}
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

func TestRunRefusesAnotherConfiguration(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	cfg.GAN.Steps, cfg.AE.Steps = 2, 2
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.GAN.Batch = 4
	err := Run(context.Background(), other, dir, parallel.Single())
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "gan.batch = 4, was 8") {
		t.Fatalf("error %v, want a ConfigError naming gan.batch", err)
	}
	other = cfg
	other.Threads = 2 // does not change results: accepted
	if err := Run(context.Background(), other, dir, parallel.Single()); err != nil {
		t.Errorf("changing only threads was refused: %v", err)
	}
}

// TestResumeSkipsCheckpointOfAnotherArchitecture puts the checkpoint of a
// run of another architecture, newest, into a stopped run: it is not this
// run's (another config_sha256), so it is skipped with a warning.
func TestResumeSkipsCheckpointOfAnotherArchitecture(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.GAN.Steps, cfg.AE.Steps = 2, 2
	a := t.TempDir()
	if err := Run(context.Background(), cfg, a, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	// A run of another architecture, stopped in its GAN stage …
	cfg2 := cfg
	cfg2.Model.DFilters = []int{4, 16}
	b := t.TempDir()
	if err := Run(newStopAfter(1), cfg2, b, parallel.Single()); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	// … given the first run's checkpoint.
	src, _ := os.ReadFile(filepath.Join(a, "checkpoints", "gan-final.ckpt"))
	if err := os.WriteFile(runDir(b).checkpointPath(stageGAN, 99), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), cfg2, b, parallel.Single()); err != nil {
		t.Fatalf("the other run's checkpoint was not skipped: %v", err)
	}
	logs, _ := os.ReadFile(filepath.Join(b, "logs", "rank-0.jsonl"))
	if !strings.Contains(string(logs), "made with another configuration") {
		t.Error("no warning about the skipped checkpoint in the log")
	}
}

func TestCorruptCheckpointFallsBackToThePreviousOne(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.GAN.CheckpointEvery = 5
	dir := t.TempDir()
	if err := Run(newStopAfter(12), cfg, dir, parallel.Single()); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	cps := runDir(dir).checkpoints(stageGAN)
	if len(cps) != 2 {
		t.Fatalf("checkpoints %v, want the last two", cps)
	}
	b, _ := os.ReadFile(cps[0])
	b[len(b)/2] ^= 0xff
	os.WriteFile(cps[0], b, 0o644)
	latest := checkpointer{dir: runDir(dir), stage: stageGAN, log: NewLogger(0), configHash: cfg.hash()}.latest()
	if latest == nil || latest.Step != 10 {
		t.Fatalf("latest usable checkpoint %+v, want the one of step 10", latest)
	}
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
}

func TestGenerate(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.GAN.Steps, cfg.AE.Steps = 2, 2
	dir := t.TempDir()
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "g.npy")
	for _, ck := range []string{"gan-final.ckpt", "gan-best.ckpt", "ae-final.ckpt"} {
		tr, err := Generate(filepath.Join(dir, "checkpoints", ck), 5, 3, 1, out)
		if err != nil {
			t.Fatal(err)
		}
		if tr != "eq1" {
			t.Errorf("transform %q, want eq1", tr)
		}
		g, err := data.ReadNPY(out)
		if err != nil {
			t.Fatal(err)
		}
		if s := g.Shape(); s[0] != 5 || s[1] != cfg.Model.Size {
			t.Errorf("shape %v, want (5, %d, %d)", s, cfg.Model.Size, cfg.Model.Size)
		}
	}
	if _, err := Generate(filepath.Join(dir, "nope.ckpt"), 5, 3, 1, out); err == nil {
		t.Error("a missing checkpoint was accepted")
	}
	var ce *ConfigError
	if _, err := Generate(filepath.Join(dir, "checkpoints", "gan-final.ckpt"), 0, 3, 1, out); !errors.As(err, &ce) {
		t.Errorf("--n 0 gave %v, want a ConfigError", err)
	}
}

func TestRun3D(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Model = model.Arch{Dim: 3, Size: 8, Latent: 6, Kernel: 4, GFilters: []int{4, 2, 1}, DFilters: []int{2, 4}}
	cfg.Data.Grid, cfg.Data.Transform, cfg.Data.Assign = 16, data.Eq2, "ngp"
	cfg.Data.Particles, cfg.Data.Mesh = 16, 32
	cfg.GAN.Steps, cfg.AE.Steps = 3, 3
	dir := t.TempDir()
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	gen, err := data.ReadNPY(filepath.Join(dir, "samples", "generated.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if s := gen.Shape(); len(s) != 4 || s[0] != cfg.Out.Samples || s[3] != 8 {
		t.Errorf("generated.npy has shape %v, want (%d, 8, 8, 8)", s, cfg.Out.Samples)
	}
}

// stageWeights returns the weights_sha256 rank recorded at the end of a
// stage in the run directory dir.
func stageWeights(t *testing.T, dir string, rank int, stage string) string {
	t.Helper()
	ms, err := ReadMetrics(dir, rank)
	if err != nil {
		t.Fatal(err)
	}
	return ms.Weights(stage)
}

// snapshot maps every file of a run directory, except the logs and metric
// records (which record each attempt), to its SHA-256.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		// The logs and metrics grow and the lock names its last holder on every start.
		sep := string(filepath.Separator)
		if err != nil || d.IsDir() || strings.Contains(path, sep+"logs"+sep) || strings.Contains(path, sep+"metrics"+sep) || d.Name() == lockName {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = fmt.Sprintf("%x", sha256.Sum256(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBadInputLeavesRunDirAlone gives a stopped run a changed configuration,
// a batch that does not divide over its ranks, and a missing data file: each
// is refused with a message naming the problem, and no file of the run
// directory changes.
func TestBadInputLeavesRunDirAlone(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	dir := t.TempDir()
	if err := Run(newStopAfter(12), cfg, dir, parallel.Single()); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	os.Remove(filepath.Join(dir, "data", "train_001.npy"))
	before := snapshot(t, dir)
	other := cfg
	other.GAN.LabelNoise = 0.2
	for _, c := range []struct {
		name  string
		run   func() []error
		wants string
	}{
		{"changed configuration", func() []error { return []error{Run(context.Background(), other, dir, parallel.Single())} }, "gan.label_noise = 0.2, was 0.05"},
		{"batch over 3 ranks", func() []error { return runRanks(context.Background(), cfg, dir, 3) }, "divide evenly over the 3 ranks"},
		{"missing data file", func() []error { return []error{Run(context.Background(), cfg, dir, parallel.Single())} }, "train_001.npy"},
	} {
		for _, err := range c.run() {
			if err == nil || !strings.Contains(err.Error(), c.wants) {
				t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.wants)
			}
		}
		after := snapshot(t, dir)
		for path, sum := range before {
			if after[path] != sum {
				t.Errorf("%s changed or removed %s", c.name, path)
			}
		}
		for path := range after {
			if _, ok := before[path]; !ok {
				t.Errorf("%s created %s", c.name, path)
			}
		}
	}
}

// TestAEEarlyStop makes every evaluation count (patience 1): the AE stage
// must stop at the first evaluation that does not improve, and its final
// checkpoint must hold the encoder of the best one.
func TestAEEarlyStop(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.StatusAddr = ""
	cfg.GAN.Steps = 4
	cfg.AE.Steps, cfg.AE.EvalEvery, cfg.AE.Patience, cfg.AE.LR = 200, 1, 1, 0.05
	cfg.AE.CheckpointEvery = 1 // the last numbered checkpoint holds E and E-best at the stop
	dir := t.TempDir()
	if err := Run(context.Background(), cfg, dir, parallel.Single()); err != nil {
		t.Fatal(err)
	}
	info, err := NewestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Stage != stageAE || info.Step >= 200 {
		t.Fatalf("AE ended at step %d of 200: no early stop", info.Step)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "logs", "rank-0.jsonl"))
	if !strings.Contains(string(b), "early stop") {
		t.Error("the early stop was not logged")
	}
	var st runState
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "state.json")), &st); err != nil || st.Weights[stageAE] != info.WeightsSHA256 {
		t.Errorf("state.json AE weights %q, final checkpoint %q (%v)", st.Weights[stageAE], info.WeightsSHA256, err)
	}
	// The final encoder is the best one, not the last one trained.
	final := readNets(t, dir, "ae-final.ckpt")
	last, err := model.ReadCheckpoint(runDir(dir).checkpoints(stageAE)[0])
	if err != nil {
		t.Fatal(err)
	}
	e, best := netOf(t, final, "E"), netOf(t, last, "E-best")
	if !equalBits(e.Params, best.Params) {
		t.Error("ae-final.ckpt's E is not the best encoder")
	}
	if equalBits(e.Params, netOf(t, last, "E").Params) {
		t.Error("the encoder did not change after its best evaluation: the test shows nothing")
	}
}

func netOf(t *testing.T, ck *model.Checkpoint, name string) *model.NetState {
	t.Helper()
	n, err := ck.Net(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

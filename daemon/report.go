package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/cosmogan/cosmogan/eval"
	"github.com/cosmogan/cosmogan/model"
)

// writeReport is the report stage (rank 0): the evaluation of the best GAN
// (generated samples against held-out test crops) and of the AE
// (reconstructions against the crops they encode, paired) with the figures
// and pages of eval, and the training curves, in RUN_DIR/report/.
func (r *runner) writeReport() error {
	if err := r.loadData(); err != nil {
		return err
	}
	arch := r.cfg.Model
	n := r.cfg.GAN.EvalSamples
	ae, err := readCheckpoint(r.dir.path("checkpoints", stageAE+"-final.ckpt"))
	if err != nil {
		return err
	}
	g, err := model.NewGenerator(arch)
	if err != nil {
		return err
	}
	if _, err := restore(ae, arch, []trained{{net: g}}); err != nil {
		return err
	}
	// Test crops, never used to choose anything, and fresh generated samples.
	crops := make([]float32, n*arch.ImageShape().Size())
	r.test.draw(crops, arch.Size, n, newStreamFor(r.cfg.Seed, "report/test").fixed())
	z := make([]float32, n*arch.Latent)
	model.SampleLatent(z, newStreamFor(r.cfg.Seed, "report").fixed())
	if err := r.compare("gan", "Best generator against held-out test crops", crops, generateFrom(r.ctx, g, z, n), n, false,
		"test crops", "generated"); err != nil {
		return err
	}
	val, err := readNPY(r.dir.path("samples", "test.npy"))
	if err != nil {
		return err
	}
	recon, err := readNPY(r.dir.path("samples", "reconstructed.npy"))
	if err != nil {
		return err
	}
	m := len(val) / arch.ImageShape().Size()
	if err := r.compare("ae", "Autoencoder: test crops and their reconstructions", val, recon, m, true,
		"test crops", "reconstructed"); err != nil {
		return err
	}
	return r.writeCurves()
}

// compare evaluates fake against real and writes report/<name>/.
func (r *runner) compare(name, title string, real, fake []float32, n int, paired bool, realName, fakeName string) error {
	arch := r.cfg.Model
	rs, err := evalSet(real, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return err
	}
	fs, err := evalSet(fake, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return err
	}
	rep, err := eval.Compare(rs, fs, paired, eval.Options{Threads: r.team.Threads()})
	if err != nil {
		return fmt.Errorf("report %s: %w", name, err)
	}
	dir := r.dir.path("report", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	desc := fmt.Sprintf("%d crops of side %d", n, arch.Size)
	page := eval.ReportPage{Title: title, RealName: realName, FakeName: fakeName, RealDesc: desc, FakeDesc: desc,
		Transform: r.cfg.Data.Transform.String(), Paired: paired,
		StatsPNG: eval.StatsPNG, SamplesPNG: eval.SamplesPNG}
	if paired {
		page.DicePNG = eval.DicePNG
	}
	if err := eval.WriteReport(dir, rep, rs, fs, page); err != nil {
		return err
	}
	r.log.Info().Str("dir", dir).Float64("score", rep.Distances.Score).Msg("report written")
	return nil
}

// writeCurves draws report/losses.png from rank 0's log: the GAN losses, the
// GAN evaluation score, the AE training and validation losses. Steps logged
// twice (a resumed run repeats the steps after its last checkpoint) keep
// their last value.
func (r *runner) writeCurves() error {
	f, err := os.Open(r.dir.path("logs", "rank-0.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	series := map[string]map[int]float64{}
	add := func(name string, step int, v *float64) {
		if v == nil {
			return
		}
		if series[name] == nil {
			series[name] = map[int]float64{}
		}
		series[name][step] = *v
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var msg string
		var step int
		var raw map[string]json.RawMessage
		if json.Unmarshal(sc.Bytes(), &raw) != nil {
			continue
		}
		get := func(k string) *float64 {
			var v float64
			if json.Unmarshal(raw[k], &v) != nil {
				return nil
			}
			return &v
		}
		json.Unmarshal(raw["message"], &msg)
		json.Unmarshal(raw["step"], &step)
		switch msg {
		case stageGAN:
			add("D loss", step, get("loss_d"))
			add("G loss", step, get("loss_g"))
		case "gan evaluation":
			add("score", step, get("score"))
		case stageAE:
			add("AE training loss", step, get("loss"))
		case "ae validation":
			add("AE validation loss", step, get("validation_loss"))
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	pick := func(names ...string) []eval.Series {
		var out []eval.Series
		for _, n := range names {
			steps := make([]int, 0, len(series[n]))
			for s := range series[n] {
				steps = append(steps, s)
			}
			sort.Ints(steps)
			s := eval.Series{Name: n}
			for _, st := range steps {
				s.Step, s.Value = append(s.Step, float64(st)), append(s.Value, series[n][st])
			}
			out = append(out, s)
		}
		return out
	}
	path := filepath.Join(r.dir.path("report"), "losses.png")
	if err := eval.WriteCurves(path, []eval.CurvePanel{
		{Title: "GAN losses", YLabel: "loss", Series: pick("D loss", "G loss")},
		{Title: "GAN evaluation (lower is better)", YLabel: "score", Series: pick("score")},
		{Title: "Autoencoder (Eq. 7)", YLabel: "loss", LogY: true, Series: pick("AE training loss", "AE validation loss")},
	}); err != nil {
		return err
	}
	r.log.Info().Str("file", path).Msg("training curves written")
	return nil
}

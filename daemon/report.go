package daemon

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"

	"github.com/cosmogan/cosmogan/eval"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/model"
)

// writeReport is the report stage (rank 0): the evaluation of the best GAN
// (generated samples against held-out test crops) and of the AE
// (reconstructions against the crops they encode, paired) with the figures
// and pages of eval, and the training curves, in RUN_DIR/report/.
func (r *runner) writeReport(ctx context.Context) error {
	if err := r.loadData(); err != nil {
		return err
	}
	arch := r.cfg.Model
	n := r.cfg.GAN.EvalSamples
	ae, err := r.checkpointer(stageAE).read(r.dir.path("checkpoints", stageAE+"-final.ckpt"))
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
	// Test crops, never used to choose anything, and fresh generated samples;
	// training crops for the memorization check.
	size := arch.ImageShape().Size()
	crops, train := make([]float32, n*size), make([]float32, n*size)
	fields := r.test.draw(crops, arch.Size, n, newStreamFor(r.cfg.Seed, "report/test").fixed())
	r.train.draw(train, arch.Size, n, newStreamFor(r.cfg.Seed, "report/train").fixed())
	trainSet, err := evalSet(train, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return err
	}
	z := make([]float32, n*arch.Latent)
	model.SampleLatent(z, newStreamFor(r.cfg.Seed, "report").fixed())
	ganScore, err := r.compare("gan", "Best generator against held-out test crops", crops, fields, generateFrom(r.ws, g, z, n), n, false,
		"test crops", "generated", &trainSet)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return stopped(ctx, stageReport, "the GAN's report")
	}
	val, err := readNPY(r.dir.path("samples", "test.npy"))
	if err != nil {
		return err
	}
	recon, err := readNPY(r.dir.path("samples", "reconstructed.npy"))
	if err != nil {
		return err
	}
	m := len(val) / size
	_, fields = r.aeTestCrops(m)
	aeScore, err := r.compare("ae", "Autoencoder: test crops and their reconstructions", val, fields, recon, m, true,
		"test crops", "reconstructed", nil)
	if err != nil {
		return err
	}
	if err := r.writeCurves(); err != nil {
		return err
	}
	return r.writeIndex(ganScore, aeScore)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>cosmogan run report</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}img{max-width:100%}</style></head>
<body><h1>cosmogan run report</h1>
<p>Configuration: <code>../config.toml</code>. Scores: each distance of §4.1 divided by its noise floor (the same distance between two halves of the reference set, split by field), summed; about 5 for two sets as alike as two halves of the reference, lower is better.</p>
{{range .Notes}}<p><strong>Note:</strong> {{.}}</p>
{{end}}<ul>
<li><a href="gan/report.html">Best generator against held-out test crops</a>: score {{printf "%.4g" .GAN}}</li>
<li><a href="ae/report.html">Autoencoder: test crops and their reconstructions (paired, with Dice)</a>: score {{printf "%.4g" .AE}}</li>
</ul>
<h2>Training</h2><img src="losses.png" alt="training curves">
</body></html>
`))

// writeIndex writes report/report.html, the page that leads to the others.
func (r *runner) writeIndex(ganScore, aeScore float64) error {
	var b bytes.Buffer
	if err := indexPage.Execute(&b, map[string]any{"GAN": ganScore, "AE": aeScore, "Notes": r.state.Notes}); err != nil {
		return err
	}
	return atomicfile.WriteBytes(r.dir.path("report", "report.html"), b.Bytes())
}

// compare evaluates fake against real (whose crops came from fields, for
// the noise floors), with train for the memorization check if not nil,
// writes report/<name>/ and returns the score.
func (r *runner) compare(name, title string, real []float32, fields []int, fake []float32, n int, paired bool, realName, fakeName string, train *eval.Set) (float64, error) {
	arch := r.cfg.Model
	rs, err := evalSet(real, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return 0, err
	}
	rs.Groups = fields
	fs, err := evalSet(fake, arch, n, r.cfg.Data.Transform)
	if err != nil {
		return 0, err
	}
	rep, err := eval.Compare(rs, fs, paired, eval.Options{Threads: r.team.Threads(), Train: train})
	if err != nil {
		return 0, fmt.Errorf("report %s: %w", name, err)
	}
	dir := r.dir.path("report", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	desc := fmt.Sprintf("%d crops of side %d", n, arch.Size)
	page := eval.ReportPage{Title: title, RealName: realName, FakeName: fakeName, RealDesc: desc, FakeDesc: desc,
		Transform: r.cfg.Data.Transform.String(), Paired: paired,
		StatsPNG: eval.StatsPNG, SamplesPNG: eval.SamplesPNG}
	if paired {
		page.DicePNG = eval.DicePNG
	}
	if err := eval.WriteReport(dir, rep, rs, fs, page); err != nil {
		return 0, err
	}
	r.log.Info().Str("dir", dir).Float64("score", rep.Distances.Score).Msg("report written")
	return rep.Distances.Score, nil
}

// writeCurves draws report/losses.png from rank 0's metric records: the
// GAN losses, the GAN evaluation score, the AE training and validation
// losses. Steps recorded twice (a resumed run repeats the steps after its
// last checkpoint) keep their last value.
func (r *runner) writeCurves() error {
	ms, err := ReadMetrics(string(r.dir), 0)
	if err != nil {
		return err
	}
	series := map[string]map[int]float64{}
	add := func(name string, step int, v float64) {
		if series[name] == nil {
			series[name] = map[int]float64{}
		}
		series[name][step] = v
	}
	for _, m := range ms {
		switch {
		case m.Kind == MetricTrain && m.Stage == stageGAN:
			add("D loss", m.Step, m.Values["loss_d"])
			add("G loss", m.Step, m.Values["loss_g"])
		case m.Kind == MetricEvaluation && m.Distances != nil:
			add("score", m.Step, m.Distances.Score)
		case m.Kind == MetricTrain && m.Stage == stageAE:
			add("AE training loss", m.Step, m.Values["loss"])
		case m.Kind == MetricValidation && m.Loss != nil:
			add("AE validation loss", m.Step, *m.Loss)
		}
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

package eval

import (
	"bytes"
	"fmt"
	"html/template"
)

// ReportPage describes report.html beyond the numbers of the Report.
type ReportPage struct {
	Title             string // page heading
	RealName          string // e.g. the reference file
	FakeName          string // e.g. the candidate file
	RealDesc          string // e.g. "64 cubes of 64³"
	FakeDesc          string
	Transform         string // the transform the inputs carried
	Paired            bool
	StatsPNG, DicePNG string // figure file names, DicePNG empty without Dice
	SamplesPNG        string
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"g": func(v float64) string { return fmt.Sprintf("%.4g", v) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.P.Title}}</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.real{color:#d62728}.fake{color:#1f77b4}figcaption{color:#444;margin:.3em 0 1.5em}</style></head><body>
<h1>{{.P.Title}}</h1>
<p><span class="real">■ real</span>: {{.P.RealName}} ({{.P.RealDesc}}) &nbsp; <span class="fake">■ fake</span>: {{.P.FakeName}} ({{.P.FakeDesc}}).
Values carried transform <code>{{.P.Transform}}</code>; every estimator works on linear density (particles per pixel).
Bins follow the real set. All numbers are in <a href="report.json">report.json</a>.</p>
<h2>Distances</h2>
<p>Each is 0 when the sets agree and is in decades (see the eval package documentation); the score, their sum, is what checkpoints are chosen by (lower is better).</p>
<table><tr><th>estimator</th><th>distance</th></tr>
<tr><td>pixel PDF (Wasserstein-1 in log₁₀ ρ)</td><td>{{g .R.Distances.PixelPDF}}</td></tr>
<tr><td>mean density (Wasserstein-1 in log₁₀ ρ̄)</td><td>{{g .R.Distances.MeanDensity}}</td></tr>
<tr><td>power spectrum (RMS of log₁₀ ratio of medians)</td><td>{{g .R.Distances.PowerSpectrum}}</td></tr>
<tr><td>peak counts (Wasserstein-1 of heights + |log₁₀ count ratio|)</td><td>{{g .R.Distances.PeakCounts}}</td></tr>
{{with .R.Distances.Dice}}<tr><td>Dice (1 − mean normalized coefficient)</td><td>{{g .}}</td></tr>{{end}}
<tr><th>score</th><th>{{g .R.Distances.Score}}</th></tr></table>
<h2>Statistics</h2>
<figure><img src="{{.P.StatsPNG}}" alt="statistics">
<figcaption>As Fig. 3 of the paper: pixel PDF, mean density distribution, median power spectrum with its MAD band, and mean peak counts per image; real in red, fake in blue.</figcaption></figure>
<table><tr><th>ν</th>{{range .R.Real.PowerSpectrum.Nu}}<th>{{.}}</th>{{end}}</tr>
<tr><td class="real">real median P(ν)</td>{{range .R.Real.PowerSpectrum.Median}}<td>{{g .}}</td>{{end}}</tr>
<tr><td class="fake">fake median P(ν)</td>{{range .R.Fake.PowerSpectrum.Median}}<td>{{g .}}</td>{{end}}</tr></table>
{{with .R.Dice}}<h2>Sørensen–Dice overlap</h2>
<figure><img src="{{$.P.DicePNG}}" alt="Dice overlap">
<figcaption>As Fig. 10 of the paper: overlap of the top n% pixels of each pair (yellow) and of random pairs of real images (black), each ± its standard deviation; the normalized coefficient (Eq. 10) and the significance (Eq. 11).</figcaption></figure>
<table><tr><th>top n%</th><th>mean O</th><th>std</th><th>random r</th><th>σ_r</th><th>normalized</th><th>significance</th></tr>
{{range $i, $n := .TopPercent}}<tr><td>{{$n}}</td><td>{{g (index $.R.Dice.Mean $i)}}</td><td>{{g (index $.R.Dice.Std $i)}}</td><td>{{g (index $.R.Dice.RandomMean $i)}}</td><td>{{g (index $.R.Dice.RandomStd $i)}}</td><td>{{g (index $.R.Dice.Normalized $i)}}</td><td>{{g (index $.R.Dice.Significance $i)}}</td></tr>
{{end}}</table>{{end}}
<h2>Samples</h2>
<figure><img src="{{.P.SamplesPNG}}" alt="samples">
<figcaption>Left block: real; right block: fake{{if .P.Paired}} (same positions are pairs){{end}}. log₁₀ density, viridis, the same range for both; cubes show their central slice.</figcaption></figure>
</body></html>
`))

// reportHTML renders report.html.
func reportHTML(rep *Report, page ReportPage) ([]byte, error) {
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, struct {
		R *Report
		P ReportPage
	}{rep, page})
	return buf.Bytes(), err
}

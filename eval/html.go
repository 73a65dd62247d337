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
Values carried transform <code>{{.P.Transform}}</code>; every estimator works on linear density (ρ/ρ̄ for fields cosmogan makes and generates).
Bins follow the real set. All numbers are in <a href="report.json">report.json</a>.</p>
<h2>Distances</h2>
<p>Each distance is 0 when the sets agree, in decades unless it is a fraction or a ratio (1 when the sets agree); see the eval package documentation.
Beside each, its <b>noise floor</b>: the same measure between two halves of the real set (|ratio − 1| for a ratio), median and 90th percentile over {{.R.Floors.Splits}} random splits
{{if .R.Floors.ByImage}}<b>by image</b>: the real images carry no field labels, so crops of one field fall in both halves and these floors underestimate the noise{{else}}by field ({{.R.Floors.Groups}} fields, whole fields to either half){{end}}.
A half has half the images, so a fake set as large as the real one is expected at about 0.7 of the floor.
The score, what checkpoints are chosen by (lower is better), sums five distances each divided by its median floor.</p>
<table><tr><th>measure</th><th>value</th><th>floor, median</th><th>floor, 90th pct</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{g .Value}}</td><td>{{g .Median}}</td><td>{{g .P90}}</td></tr>
{{end}}{{with .R.Distances.Dice}}<tr><td>Dice (1 − mean normalized coefficient)</td><td>{{g .}}</td><td></td><td></td></tr>{{end}}</table>
<h2>Acceptance</h2>
<p>The fidelity bounds of issue 11; the floor is the 90th percentile above.</p>
<table><tr><th>measure</th><th>value</th><th>floor</th><th>bound</th><th>pass</th></tr>
{{range .R.Acceptance}}<tr><td>{{.Name}}</td><td>{{g .Value}}</td><td>{{g .Floor}}</td><td>{{.Bound}}</td><td>{{if .Pass}}yes{{else}}<b>no</b>{{end}}</td></tr>
{{end}}</table>
<h2>Statistics</h2>
<figure><img src="{{.P.StatsPNG}}" alt="statistics">
<figcaption>As Fig. 3 of the paper: pixel PDF, mean density distribution and mean peak counts per image; the median power spectrum with its MAD band, of the density and of the log field (the networks' space) side by side; real in red, fake in blue.</figcaption></figure>
<table><tr><th>ν</th>{{range .R.Real.PowerSpectrum.Nu}}<th>{{.}}</th>{{end}}</tr>
<tr><td class="real">real median P(ν) of ρ</td>{{range .R.Real.PowerSpectrum.Median}}<td>{{g .}}</td>{{end}}</tr>
<tr><td class="fake">fake median P(ν) of ρ</td>{{range .R.Fake.PowerSpectrum.Median}}<td>{{g .}}</td>{{end}}</tr>
<tr><td class="real">real median P(ν) of the log field</td>{{range .R.Real.LogFieldSpectrum.Median}}<td>{{g .}}</td>{{end}}</tr>
<tr><td class="fake">fake median P(ν) of the log field</td>{{range .R.Fake.LogFieldSpectrum.Median}}<td>{{g .}}</td>{{end}}</tr></table>
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

// floorRow is one line of the distances table: a measure and its floors.
type floorRow struct {
	Name               string
	Value, Median, P90 float64
}

// reportHTML renders report.html.
func reportHTML(rep *Report, page ReportPage) ([]byte, error) {
	var rows []floorRow
	for _, f := range distanceFields {
		if v, med := f.get(&rep.Distances), f.get(&rep.Floors.Median); v != nil && med != nil {
			rows = append(rows, floorRow{f.name, *v, *med, *f.get(&rep.Floors.P90)})
		}
	}
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, struct {
		R    *Report
		P    ReportPage
		Rows []floorRow
	}{rep, page, rows})
	return buf.Bytes(), err
}

package eval

import (
	"fmt"
	"math"
)

// Check is one line of the acceptance table: a measure of Distances, its
// noise floor (from Floors.P90: the 90th percentile of the distance between
// halves of the reference, or |ratio − 1| for a ratio), the bound it must
// meet and whether it does. Rule is "<=" (Value <= Limit), ">=" (Value >=
// Limit) or "~1" (|Value − 1| <= Limit).
type Check struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Floor float64 `json:"floor"`
	Rule  string  `json:"rule"`
	Limit float64 `json:"limit"`
	Pass  bool    `json:"pass"`
}

// Acceptance judges d against the fidelity bounds of issue 11 for 2D maps
// compared in the networks' space:
//
//   - the median log-field spectrum within 10% for ν <= N/4 and 20% for
//     ν <= N/2, or within 1.5 times the noise floor where that is larger;
//   - pixel PDF and mean density earth mover's distances <= 0.03 dex;
//   - the number of peaks within 15%, the peak-height distance <= 0.05 dex;
//   - the spread of the log-field spectra within 30% of the reference's;
//   - the nearest-other-sample distance at least 0.7 of the reference's
//     (nearest crop of another field): no mode collapse;
//   - with a training set, the nearest-training-crop distance at least 0.7
//     of the reference's: no memorization. The issue sets no bound for this
//     one; 0.7 is the collapse check's, by analogy.
func Acceptance(d Distances, f Floors) []Check {
	c := []Check{
		{Name: "log-field P(k), max |ratio − 1|, ν ≤ N/4", Value: d.LogFieldQuarter, Floor: f.P90.LogFieldQuarter,
			Rule: "<=", Limit: math.Max(0.10, 1.5*f.P90.LogFieldQuarter)},
		{Name: "log-field P(k), max |ratio − 1|, ν ≤ N/2", Value: d.LogFieldHalf, Floor: f.P90.LogFieldHalf,
			Rule: "<=", Limit: math.Max(0.20, 1.5*f.P90.LogFieldHalf)},
		{Name: "pixel PDF, EMD (dex)", Value: d.PixelPDF, Floor: f.P90.PixelPDF, Rule: "<=", Limit: 0.03},
		{Name: "mean density, EMD (dex)", Value: d.MeanDensity, Floor: f.P90.MeanDensity, Rule: "<=", Limit: 0.03},
		{Name: "number of peaks, ratio", Value: d.PeakNumber, Floor: f.P90.PeakNumber, Rule: "~1", Limit: 0.15},
		{Name: "peak heights, EMD (dex)", Value: d.PeakHeights, Floor: f.P90.PeakHeights, Rule: "<=", Limit: 0.05},
		{Name: "spread of log-field P(k), ratio", Value: d.SpectrumSpread, Floor: f.P90.SpectrumSpread, Rule: "~1", Limit: 0.30},
		{Name: "nearest other sample, ratio", Value: d.Collapse, Floor: f.P90.Collapse, Rule: ">=", Limit: 0.7},
	}
	if d.Memorization != nil && f.P90.Memorization != nil {
		c = append(c, Check{Name: "nearest training crop, ratio", Value: *d.Memorization, Floor: *f.P90.Memorization, Rule: ">=", Limit: 0.7})
	}
	for i := range c {
		switch v := c[i].Value; c[i].Rule {
		case "<=":
			c[i].Pass = v <= c[i].Limit
		case ">=":
			c[i].Pass = v >= c[i].Limit
		default:
			c[i].Pass = math.Abs(v-1) <= c[i].Limit
		}
	}
	return c
}

// Bound writes the rule and limit of c for people: "≤ 0.03", "≥ 0.7",
// "1 ± 0.15".
func (c Check) Bound() string {
	switch c.Rule {
	case "<=":
		return fmt.Sprintf("≤ %.3g", c.Limit)
	case ">=":
		return fmt.Sprintf("≥ %.3g", c.Limit)
	}
	return fmt.Sprintf("1 ± %.3g", c.Limit)
}

package data

import (
	"math"
	"testing"
)

func TestTransformAnchors(t *testing.T) {
	cases := []struct {
		tr   Transform
		v    float32
		want float64
	}{
		{Eq1, 0.01, -1},
		{Eq1, 600, 1},
		// Geometric mean of 0.01 and 600 is the midpoint.
		{Eq1, float32(math.Sqrt(6)), 0},
		// Empty pixel: clamped to 1e-4, (2 ln 1e-4 − ln 6)/ln 60000 by hand.
		{Eq1, 0, (2*math.Log(1e-4) - math.Log(6)) / math.Log(60000)},
		{Eq2, 0, -1},
		{Eq2, 2632 - 0.001, 1},
		// ln(v+c) midway between ln c and ln 2632: v + c = sqrt(2.632).
		{Eq2, float32(math.Sqrt(2.632) - 0.001), 0},
		{None, 3.5, 3.5},
	}
	for _, c := range cases {
		d := []float32{c.v}
		c.tr.Forward(d, d)
		if math.Abs(float64(d[0])-c.want) > 2e-6 {
			t.Errorf("%v.Forward(%v) = %v, want %v", c.tr, c.v, d[0], c.want)
		}
	}
	if got := float64(func() float32 { d := []float32{0}; Eq1.Forward(d, d); return d[0] }()); got > -1.8 || got < -1.9 {
		t.Errorf("Eq1 of an empty pixel = %v, want about -1.837", got)
	}
}

func TestTransformInverse(t *testing.T) {
	for _, tr := range []Transform{None, Eq1, Eq2} {
		var src []float32
		for v := 1e-3; v < 3000; v *= 1.37 {
			src = append(src, float32(v))
		}
		if tr == Eq2 {
			src = append(src, 0)
		}
		fwd := make([]float32, len(src))
		tr.Forward(fwd, src)
		back := make([]float32, len(src))
		tr.Inverse(back, fwd)
		for i, v := range src {
			if math.Abs(float64(back[i]-v)) > 1e-5*float64(v)+1e-9 {
				t.Errorf("%v: Inverse(Forward(%v)) = %v", tr, v, back[i])
			}
		}
	}
	d := []float32{-1.5}
	Eq2.Inverse(d, d)
	if d[0] != 0 {
		t.Errorf("Eq2.Inverse(-1.5) = %v, want clamped to 0", d[0])
	}
}

func TestParseTransform(t *testing.T) {
	for _, tr := range []Transform{None, Eq1, Eq2} {
		got, err := ParseTransform(tr.String())
		if err != nil || got != tr {
			t.Errorf("ParseTransform(%q) = %v, %v", tr.String(), got, err)
		}
	}
	if got, err := ParseTransform("EQ2"); err != nil || got != Eq2 {
		t.Errorf("ParseTransform(EQ2) = %v, %v", got, err)
	}
	if _, err := ParseTransform("eq3"); err == nil {
		t.Error("ParseTransform(eq3) succeeded")
	}
	var tr Transform
	if err := tr.UnmarshalText([]byte("eq1")); err != nil || tr != Eq1 {
		t.Errorf("UnmarshalText(eq1) = %v, %v", tr, err)
	}
}

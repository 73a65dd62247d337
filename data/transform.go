// The paper's log-like pixel transforms (§2.2.3, Eqs. 1 and 2): they map the
// linear density, which spans five decades, into about [-1, 1], the range of
// the generator's tanh output, so that filaments and voids are visible to the
// networks. Eq. 1's bounds (0.01, 600) are meant for density in units of the
// mean, ρ/ρ̄; Eq. 2's for the paper's 3D histogram in particles per voxel
// (ppp below: the unit of the input, whichever it is). Estimators work on
// linear density, so every generated field goes back through Inverse.

package data

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// Transform selects a pixel transform. The zero value is None.
type Transform int

const (
	// None leaves values unchanged.
	None Transform = iota
	// Eq1 is the 2D transform, Eq. (1): v' = (2 ln v − (b+a)) / (b−a) with
	// a = ln 0.01 and b = ln 600, so v = 0.01 ↦ −1 and v = 600 ↦ +1.
	Eq1
	// Eq2 is the 3D transform, Eq. (2): v' = (2 ln(v+c) − (b2+a2)) / (b2−a2)
	// with c = 0.001, a2 = ln c and b2 = ln 2632, so v = 0 ↦ −1 and
	// v = 2632 − c ↦ +1.
	Eq2
)

// Constants of Eqs. (1) and (2), in ppp.
var (
	Eq1A = math.Log(0.01)
	Eq1B = math.Log(600)
	Eq2C = 0.001
	Eq2A = math.Log(Eq2C)
	Eq2B = math.Log(2632)
)

// Eq1Floor is the density below which Eq1's Forward clamps its input. Eq. (1)
// sends v = 0 (an empty pixel, which NGP or CIC assignment does produce) to −∞;
// clamping to 1e-4 ppp, a decade below the paper's a = ln 0.01, sends it to
// (2 ln 1e-4 − (b+a))/(b−a) ≈ −1.837 instead: finite, below every value that
// real density maps to, and distinguishable from the −1 of v = 0.01.
// Inverse(Forward(0)) is therefore Eq1Floor, not 0.
const Eq1Floor = 1e-4

// ParseTransform reads "none", "eq1" or "eq2" (any case).
func ParseTransform(s string) (Transform, error) {
	for _, t := range []Transform{None, Eq1, Eq2} {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
	}
	return None, fmt.Errorf("unknown transform %q, want \"none\", \"eq1\" or \"eq2\"", s)
}

// Valid reports whether t is one of None, Eq1 and Eq2.
func (t Transform) Valid() bool { return t >= None && t <= Eq2 }

// String returns the name ParseTransform accepts.
func (t Transform) String() string {
	switch t {
	case None:
		return "none"
	case Eq1:
		return "eq1"
	case Eq2:
		return "eq2"
	}
	return fmt.Sprintf("Transform(%d)", int(t))
}

// MarshalText and UnmarshalText let a TOML or JSON configuration name the
// transform as a string.
func (t Transform) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("invalid transform %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText is ParseTransform.
func (t *Transform) UnmarshalText(b []byte) error {
	v, err := ParseTransform(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Forward maps linear density src (ppp) to transformed values in dst, which
// must be as long as src and may be src itself. Arithmetic is in float64.
// Eq1 clamps v to at least Eq1Floor (see there); Eq2 clamps v to at least 0,
// since v < 0 can only come from round-off and ln(v+c) is undefined below −c.
// NaN stays NaN. Whole numbers below countTableSize (NGP counts) are looked
// up in a table filled by the same formula, so results are identical.
func (t Transform) Forward(dst, src []float32) {
	checkLen(dst, src)
	if t == None {
		copy(dst, src)
		return
	}
	f := t.forward1()
	table := t.countTable()
	for i, v := range src {
		if c := int(v); c >= 0 && c < countTableSize && float32(c) == v {
			dst[i] = table[c]
		} else {
			dst[i] = f(v)
		}
	}
}

// forward1 is Forward of one value.
func (t Transform) forward1() func(float32) float32 {
	switch t {
	case Eq1:
		s, o := 2/(Eq1B-Eq1A), (Eq1B+Eq1A)/(Eq1B-Eq1A)
		return func(v float32) float32 {
			x := float64(v)
			if x < Eq1Floor {
				x = Eq1Floor
			}
			return float32(s*math.Log(x) - o)
		}
	case Eq2:
		s, o := 2/(Eq2B-Eq2A), (Eq2B+Eq2A)/(Eq2B-Eq2A)
		return func(v float32) float32 {
			x := float64(v)
			if x < 0 {
				x = 0
			}
			return float32(s*math.Log(x+Eq2C) - o)
		}
	}
	panic(fmt.Sprintf("data: Forward of invalid %v", t))
}

// countTableSize bounds the whole numbers Forward looks up.
const countTableSize = 4096

var countTables [3]struct {
	once  sync.Once
	table [countTableSize]float32
}

func (t Transform) countTable() *[countTableSize]float32 {
	c := &countTables[t]
	c.once.Do(func() {
		f := t.forward1()
		for i := range c.table {
			c.table[i] = f(float32(i))
		}
	})
	return &c.table
}

// Inverse maps transformed values src back to linear density (ppp) in dst,
// which may be src itself: Eq1: v = exp((v'(b−a) + (b+a))/2); Eq2: v =
// exp((v'(b2−a2) + (b2+a2))/2) − c, clamped at 0, because generator outputs
// below −1 (which Forward never produces) would otherwise give negative
// densities that break the log-binned estimators.
func (t Transform) Inverse(dst, src []float32) {
	checkLen(dst, src)
	switch t {
	case None:
		copy(dst, src)
	case Eq1:
		s, o := (Eq1B-Eq1A)/2, (Eq1B+Eq1A)/2
		for i, v := range src {
			dst[i] = float32(math.Exp(s*float64(v) + o))
		}
	case Eq2:
		s, o := (Eq2B-Eq2A)/2, (Eq2B+Eq2A)/2
		for i, v := range src {
			x := math.Exp(s*float64(v)+o) - Eq2C
			if x < 0 {
				x = 0
			}
			dst[i] = float32(x)
		}
	default:
		panic(fmt.Sprintf("data: Inverse of invalid %v", t))
	}
}

func checkLen(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("data: transform of %d values into a destination of %d", len(src), len(dst)))
	}
}

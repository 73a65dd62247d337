package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/data"
	"gorgonia.org/tensor"
)

// writeSet writes m images (or cubes) of side n of lognormal density, in the
// space of tr, as float32 .npy; edit may change values before writing.
func writeSet(t *testing.T, path string, shape []int, seed uint64, tr data.Transform, edit func([]float32)) {
	t.Helper()
	n := 1
	for _, s := range shape {
		n *= s
	}
	r := rand.New(rand.NewPCG(seed, 9))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.Exp(r.NormFloat64()))
	}
	tr.Forward(v, v)
	if edit != nil {
		edit(v)
	}
	if err := data.WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))); err != nil {
		t.Fatal(err)
	}
}

// writeNPY64 writes an .npy of dtype descr with the given raw element bytes,
// as numpy would (header padded to 64 bytes).
func writeNPY64(t *testing.T, path, descr string, shape string, raw []byte) {
	t.Helper()
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(raw)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEvalWritesReport(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	writeSet(t, a, []int{6, 16, 16}, 1, data.Eq1, nil)
	writeSet(t, b, []int{6, 16, 16}, 2, data.Eq1, nil)
	// The same real set as float64: results must match the float32 file.
	a64 := filepath.Join(dir, "a64.npy")
	ta, err := data.ReadNPY(a)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 0, 8*6*16*16)
	for _, v := range ta.Data().([]float32) {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(float64(v)))
	}
	writeNPY64(t, a64, "<f8", "(6, 16, 16)", raw)

	reports := map[string]map[string]json.RawMessage{}
	for name, args := range map[string][]string{
		"paired":   {"--real", a, "--fake", b, "--paired", "--transform", "eq1"},
		"unpaired": {"--real", a64, "--fake", b, "--transform", "EQ1", "--threads", "1"},
	} {
		out := filepath.Join(dir, name)
		var stdout, stderr bytes.Buffer
		if st := mainStatus(append([]string{"eval", "--out", out}, args...), &stdout, &stderr); st != 0 {
			t.Fatalf("%s: status %d: %s", name, st, stderr.String())
		}
		for _, f := range []string{"report.json", "stats.png", "samples.png", "report.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, err := os.Stat(filepath.Join(out, "dice.png"))
		if (err == nil) != (name == "paired") {
			t.Errorf("%s: dice.png present: %v", name, err == nil)
		}
		var rep map[string]json.RawMessage
		js, _ := os.ReadFile(filepath.Join(out, "report.json"))
		if err := json.Unmarshal(js, &rep); err != nil {
			t.Fatal(err)
		}
		_, hasDice := rep["dice"]
		if hasDice != (name == "paired") {
			t.Errorf("%s: report.json has dice: %v", name, hasDice)
		}
		reports[name] = rep
	}
	for _, k := range []string{"real", "fake"} {
		if !bytes.Equal(reports["paired"][k], reports["unpaired"][k]) {
			t.Errorf("%q differs between the float32 and float64 real file (or thread counts)", k)
		}
	}
}

// f64Bytes is the little-endian float64 encoding of vs.
func f64Bytes(vs ...float64) []byte {
	var raw []byte
	for _, v := range vs {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
	}
	return raw
}

// TestEvalFloorsAndAcceptance: with the fields of the real crops, given as
// consecutive blocks or as a label file, floors split by field and the
// report says so; with training crops the memorization check joins the
// acceptance table, which stderr prints; without labels the floors are
// split by image and the table warns.
func TestEvalFloorsAndAcceptance(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeSet(t, p("real.npy"), []int{12, 16, 16}, 1, data.Eq1, nil)
	writeSet(t, p("fake.npy"), []int{12, 16, 16}, 2, data.Eq1, nil)
	writeSet(t, p("train.npy"), []int{20, 16, 16}, 3, data.Eq1, nil)
	writeNPY64(t, p("groups.npy"), "<f8", "(12,)", f64Bytes(7, 7, 7, 7, 3, 3, 3, 3, -1, -1, -1, -1))
	type floors struct {
		Groups  int  `json:"groups"`
		ByImage bool `json:"by_image"`
		Splits  int  `json:"splits"`
	}
	type report struct {
		Floors     floors            `json:"floors"`
		Distances  map[string]any    `json:"distances"`
		Acceptance []json.RawMessage `json:"acceptance"`
	}
	run := func(name string, args ...string) (report, string) {
		t.Helper()
		out := p(name)
		var stdout, stderr bytes.Buffer
		args = append([]string{"eval", "--out", out, "--real", p("real.npy"), "--fake", p("fake.npy"), "--transform", "eq1"}, args...)
		if st := mainStatus(args, &stdout, &stderr); st != 0 {
			t.Fatalf("%s: status %d: %s", name, st, stderr.String())
		}
		var rep report
		js, _ := os.ReadFile(filepath.Join(out, "report.json"))
		if err := json.Unmarshal(js, &rep); err != nil {
			t.Fatal(err)
		}
		return rep, stderr.String()
	}
	blocks, msg := run("blocks", "--real-fields", "3", "--train", p("train.npy"))
	if blocks.Floors != (floors{Groups: 3, Splits: 8}) || len(blocks.Acceptance) != 9 || blocks.Distances["memorization_ratio"] == nil {
		t.Errorf("--real-fields 3 --train: floors %+v, %d checks, memorization %v; want 3 groups by field, 8 splits, 9 checks, a ratio",
			blocks.Floors, len(blocks.Acceptance), blocks.Distances["memorization_ratio"])
	}
	for _, want := range []string{"acceptance (floor: 90th percentile over 8 splits", "by field, 3 fields", "nearest training crop, ratio", "1 ± 0.15", "checks pass"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q does not mention %q", msg, want)
		}
	}
	labels, _ := run("labels", "--real-groups", p("groups.npy"), "--train", p("train.npy"))
	if !reflect.DeepEqual(labels, blocks) {
		t.Errorf("the same fields as a label file: distances %v, as blocks %v", labels.Distances, blocks.Distances)
	}
	none, msg := run("none")
	if none.Floors != (floors{ByImage: true, Splits: 8}) || len(none.Acceptance) != 8 || !strings.Contains(msg, "by image") {
		t.Errorf("no labels: floors %+v, %d checks, stderr %q; want by image, 8 checks, a warning", none.Floors, len(none.Acceptance), msg)
	}
}

// TestEvalBadInput: every mistake in the inputs ends with status 2, a
// message naming the file and what was expected, and no output folder.
func TestEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeSet(t, p("a.npy"), []int{4, 16, 16}, 1, data.None, nil)
	writeSet(t, p("five.npy"), []int{5, 16, 16}, 2, data.None, nil)
	writeSet(t, p("big.npy"), []int{4, 32, 32}, 3, data.None, nil)
	writeSet(t, p("cubes.npy"), []int{4, 16, 16, 16}, 3, data.None, nil)
	writeSet(t, p("rank.npy"), []int{16, 16}, 4, data.None, nil)
	writeSet(t, p("rect.npy"), []int{4, 16, 8}, 4, data.None, nil)
	writeSet(t, p("nan.npy"), []int{4, 16, 16}, 5, data.None, func(v []float32) { v[300] = float32(math.NaN()) })
	writeSet(t, p("neg.npy"), []int{4, 16, 16}, 6, data.None, func(v []float32) { v[17] = -0.5 })
	writeSet(t, p("inf.npy"), []int{4, 16, 16}, 7, data.Eq1, func(v []float32) { v[5] = 200 }) // exp overflows
	writeNPY64(t, p("int.npy"), "<i4", "(1, 4, 4)", make([]byte, 64))
	writeNPY64(t, p("g5.npy"), "<f8", "(5,)", f64Bytes(0, 0, 1, 1, 2))
	writeNPY64(t, p("half.npy"), "<f8", "(4,)", f64Bytes(0, 0, 1.5, 1))
	writeNPY64(t, p("scalar.npy"), "<f4", "()", make([]byte, 4))
	if err := os.WriteFile(p("text.npy"), []byte("not numpy"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		msg  []string
	}{
		{[]string{"--real", p("a.npy"), "--fake", p("big.npy")}, []string{"big.npy", "same shape"}},
		{[]string{"--real", p("a.npy"), "--fake", p("cubes.npy")}, []string{"cubes.npy", "same shape"}},
		{[]string{"--real", p("a.npy"), "--fake", p("five.npy"), "--paired"}, []string{"five.npy", "same count"}},
		{[]string{"--real", p("a.npy"), "--fake", p("nan.npy")}, []string{"nan.npy", "image 1, pixel 44", "finite"}},
		{[]string{"--real", p("neg.npy"), "--fake", p("a.npy")}, []string{"neg.npy", "image 0, pixel 17", ">= 0"}},
		{[]string{"--real", p("inf.npy"), "--fake", p("inf.npy"), "--transform", "eq1"}, []string{"inf.npy", "image 0, pixel 5"}},
		{[]string{"--real", p("int.npy"), "--fake", p("a.npy")}, []string{"int.npy", "'<f4'"}},
		{[]string{"--real", p("text.npy"), "--fake", p("a.npy")}, []string{"text.npy", "not an .npy file"}},
		{[]string{"--real", p("rank.npy"), "--fake", p("a.npy")}, []string{"rank.npy", "(M, N, N)"}},
		{[]string{"--real", p("a.npy"), "--fake", p("scalar.npy")}, []string{"scalar.npy", "0-dimensional", "(M, N, N) images"}},
		{[]string{"--real", p("a.npy"), "--fake", p("rect.npy")}, []string{"rect.npy", "all sides equal"}},
		{[]string{"--real", p("missing.npy"), "--fake", p("a.npy")}, []string{"missing.npy"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--transform", "log"}, []string{"--transform", `"log"`}},
		{[]string{"--real", p("a.npy")}, []string{"--fake"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--real-fields", "3"}, []string{"--real-fields 3", "4 real images"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--real-fields", "-1"}, []string{"--real-fields -1"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--real-fields", "2", "--real-groups", p("g5.npy")}, []string{"give one"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--real-groups", p("g5.npy")}, []string{"g5.npy", "want (4,)"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--real-groups", p("half.npy")}, []string{"half.npy", "label 2 is 1.5", "whole number"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--real-groups", p("int.npy")}, []string{"int.npy", "'<f4'"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--train", p("big.npy")}, []string{"big.npy", "same shape"}},
		{[]string{"--real", p("a.npy"), "--fake", p("a.npy"), "--train", p("nan.npy")}, []string{"nan.npy", "image 1, pixel 44"}},
	}
	for _, tc := range cases {
		out := p("out")
		args := append([]string{"eval", "--out", out}, tc.args...)
		var stdout, stderr bytes.Buffer
		if st := mainStatus(args, &stdout, &stderr); st != 2 {
			t.Errorf("cosmogan %s: status %d, want 2 (%s)", strings.Join(args, " "), st, stderr.String())
		}
		for _, m := range tc.msg {
			if !strings.Contains(stderr.String(), m) {
				t.Errorf("cosmogan %s: message %q does not mention %q", strings.Join(args[3:], " "), stderr.String(), m)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("cosmogan %s: wrote %s", strings.Join(args, " "), out)
			os.RemoveAll(out)
		}
	}
}

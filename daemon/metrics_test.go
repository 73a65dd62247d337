package daemon

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestMetricsTornLine: a crash in the middle of a record leaves a last line
// without its newline. The reader skips it; the rank's next run cuts it off
// and appends after the last whole record.
func TestMetricsTornLine(t *testing.T) {
	dir := runDir(t.TempDir())
	log := NewLogger(0)
	w, err := openMetrics(dir, 1, &log)
	if err != nil {
		t.Fatal(err)
	}
	loss := 0.25
	first := []Metric{
		{Stage: stageGAN, Step: 10, Kind: MetricTrain, Values: map[string]float64{"loss_d": 1.5, "loss_g": 0.5}, SamplesPerS: 3},
		{Stage: stageGAN, Step: 20, Kind: MetricWeights, Weights: "aa"},
		{Stage: stageAE, Step: 5, Kind: MetricValidation, Loss: &loss, Best: true},
	}
	for _, m := range first {
		w.write(m)
	}
	w.close()
	path := metricsPath(dir, 1)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"stage":"ae","step":10,"kind":"weig`) // the crash
	f.Close()

	got, err := ReadMetrics(string(dir), 1)
	if err != nil || !reflect.DeepEqual([]Metric(got), first) {
		t.Fatalf("ReadMetrics with a torn last line = %+v, %v; want the whole records %+v", got, err, first)
	}
	if w, err = openMetrics(dir, 1, &log); err != nil {
		t.Fatal(err)
	}
	w.write(Metric{Stage: stageAE, Step: 10, Kind: MetricWeights, Weights: "bb"})
	w.close()
	got, err = ReadMetrics(string(dir), 1)
	if err != nil || len(got) != 4 || got.Weights(stageAE) != "bb" || got.Weights(stageGAN) != "aa" {
		t.Fatalf("after the next run's record: %+v, %v", got, err)
	}

	// A whole line that does not decode is damage, not a crash: an error.
	os.WriteFile(path, []byte("{\"stage\":\"gan\"}\nnot json\n"), 0o644)
	if _, err := ReadMetrics(string(dir), 1); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a damaged line: %v, want an error naming line 2", err)
	}
	if ms, err := ReadMetrics(filepath.Join(string(dir), "nothing"), 0); err != nil || ms != nil {
		t.Errorf("no metric file: %v, %v; want none and no error", ms, err)
	}
}

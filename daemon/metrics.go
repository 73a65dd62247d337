package daemon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/rs/zerolog"

	"github.com/cosmogan/cosmogan/eval"
)

// Metric records. The logs are for people; what programs read back (the
// report's training curves, tests comparing ranks) comes from typed records,
// one JSON line each in RUN_DIR/metrics/rank-N.jsonl, written and read
// through the one Metric type.
//
// Crashes: each record is one write of a whole line to a file opened for
// appending, not synced. A crash (or a power loss) can leave the last line
// torn: without its newline, or padded with zeros. ReadMetrics skips a last
// line without a newline, and the next run of the rank cuts it off before it
// appends. Every complete line decodes; one that does not is an error. A
// resumed run repeats the steps after its last checkpoint, so a (stage,
// kind, step) may appear more than once: the last record is the one that
// counts.

// MetricKind says what a Metric records.
type MetricKind string

const (
	// MetricTrain is a training step's values averaged over the ranks (GAN:
	// loss_d, loss_g, d_real, d_fake; AE: loss) and the throughput since
	// the previous one, every log_every steps; every rank writes it.
	MetricTrain MetricKind = "train"
	// MetricEvaluation is the GAN's evaluation: the distances of generated
	// samples to the validation crops (rank 0 only).
	MetricEvaluation MetricKind = "evaluation"
	// MetricValidation is the AE's Eq. 7 loss on the validation crops.
	MetricValidation MetricKind = "validation"
	// MetricWeights is the SHA-256 of a stage's trained weights at its end
	// (the one state.json keeps); every rank writes it.
	MetricWeights MetricKind = "weights"
)

// Metric is one record of RUN_DIR/metrics/rank-N.jsonl.
type Metric struct {
	Stage string     `json:"stage"`
	Step  int        `json:"step"`
	Kind  MetricKind `json:"kind"`

	Values      map[string]float64 `json:"values,omitempty"`        // train
	SamplesPerS float64            `json:"samples_per_s,omitempty"` // train
	Distances   *eval.Distances    `json:"distances,omitempty"`     // evaluation
	Loss        *float64           `json:"validation_loss,omitempty"`
	Best        bool               `json:"best,omitempty"`           // evaluation, validation: the best so far
	Weights     string             `json:"weights_sha256,omitempty"` // weights
}

// metricsPath is the metric file of rank in the run directory.
func metricsPath(d runDir, rank int) string {
	return d.path("metrics", fmt.Sprintf("rank-%d.jsonl", rank))
}

// metricsWriter appends a rank's records. A nil one writes nothing.
type metricsWriter struct {
	f   *os.File
	log *zerolog.Logger
}

// openMetrics opens the rank's metric file for appending, first cutting off
// a torn last line a crash left.
func openMetrics(d runDir, rank int, log *zerolog.Logger) (*metricsWriter, error) {
	path := metricsPath(d, rank)
	if err := os.MkdirAll(d.path("metrics"), 0o755); err != nil {
		return nil, err
	}
	if err := cutTornLine(path); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &metricsWriter{f: f, log: log}, nil
}

// cutTornLine truncates the file at path after its last newline.
func cutTornLine(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if keep := bytes.LastIndexByte(b, '\n') + 1; keep < len(b) {
		return os.Truncate(path, int64(keep))
	}
	return nil
}

// write appends m as one line. Metrics never stop a run: a record that
// cannot be written (a non-finite value, which JSON cannot hold, or a full
// disk) is logged as a warning and dropped; the log line beside it stays.
func (w *metricsWriter) write(m Metric) {
	if w == nil {
		return
	}
	b, err := json.Marshal(m)
	if err == nil {
		_, err = w.f.Write(append(b, '\n'))
	}
	if err != nil {
		w.log.Warn().Err(err).Str("stage", m.Stage).Int("step", m.Step).Str("kind", string(m.Kind)).Msg("metric record not written")
	}
}

func (w *metricsWriter) close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
}

// Metrics are a rank's records, in the order written.
type Metrics []Metric

// ReadMetrics reads the metric records rank wrote in the run directory dir
// (a missing file: none). A torn last line (no newline) is skipped.
func ReadMetrics(dir string, rank int) (Metrics, error) {
	path := metricsPath(runDir(dir), rank)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ms, err := decodeMetrics(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ms, nil
}

func decodeMetrics(r io.Reader) (Metrics, error) {
	var ms Metrics
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return ms, nil // a last line without a newline is torn
		}
		if err != nil {
			return ms, err
		}
		var m Metric
		if err := json.Unmarshal(line, &m); err != nil {
			return ms, fmt.Errorf("line %d: %w", n, err)
		}
		ms = append(ms, m)
	}
}

// Weights is the weights_sha256 of the last weights record of stage, "" if
// there is none.
func (ms Metrics) Weights(stage string) string {
	var w string
	for _, m := range ms {
		if m.Kind == MetricWeights && m.Stage == stage {
			w = m.Weights
		}
	}
	return w
}

package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// A run directory holds everything of one run:
//
//	config.toml        the configuration the run was started with (frozen)
//	state.json         the stage reached, the weights_sha256 of finished stages, the world size and its changes
//	lock               locked while a run uses the directory; names its process
//	logs/rank-N.jsonl  each rank's log, JSON lines, for people
//	metrics/rank-N.jsonl each rank's typed records (Metric): curves, weights
//	status.addr        the address of rank 0's status endpoint
//	data/              the dataset: train_NNN.npy, test_NNN.npy, meta.json
//	checkpoints/       gan-STEP.ckpt (the last two), gan-best.ckpt, gan-final.ckpt, ae-…
//	samples/           generated.npy, test.npy, reconstructed.npy, latent.npy, meta.json
//	figures/           real_vs_generated.png, ae_reconstruction.png
//	report/            gan/ and ae/ evaluation reports, losses.png, report.html

// Stages, in order.
const (
	stageData   = "data"
	stageGAN    = "gan"
	stageAE     = "ae"
	stageReport = "report"
	stageDone   = "done"
)

// runState is state.json: where the run is. Rank 0 rewrites it at every
// checkpoint and at the end of every stage.
type runState struct {
	Stage   string            `json:"stage"`
	Step    int               `json:"step"`           // steps of the stage done at its last checkpoint
	Best    *float64          `json:"best,omitempty"` // best evaluation of the stage so far (lower is better)
	Weights map[string]string `json:"weights_sha256"` // of each finished training stage
	// Notes are what a user of the results must know, such as a fallback
	// to another checkpoint than the one asked for; the report shows them.
	Notes []string `json:"notes,omitempty"`
	// WorldSize is the number of ranks of the latest run; WorldSizeChanges
	// lists every change of it from one run to the next (worldsize.go).
	WorldSize        int               `json:"world_size,omitempty"`
	WorldSizeChanges []worldSizeChange `json:"world_size_changes,omitempty"`
}

// note records a note once (a resumed stage may make the same one again).
func (s *runState) note(n string) {
	if !slices.Contains(s.Notes, n) {
		s.Notes = append(s.Notes, n)
	}
}

type runDir string

func (d runDir) path(parts ...string) string {
	return filepath.Join(append([]string{string(d)}, parts...)...)
}

func (d runDir) readState() (runState, error) {
	var s runState
	b, err := os.ReadFile(d.path("state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return runState{Stage: stageData}, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %v", d.path("state.json"), err)
	}
	return s, nil
}

func (d runDir) writeState(s runState) error { return writeJSON(d.path("state.json"), s) }

// open makes dir the run's own (rank 0): it refuses a directory that is not
// a run directory, takes the lock, removes the temporary files killed runs
// left half written (returned, to be logged), and prepares it. The lock is
// held until unlock is called.
func (d runDir) open(cfg Config) (unlock func(), stale []string, err error) {
	if err := d.checkUsable(); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return nil, nil, err
	}
	if unlock, err = d.lock(); err != nil {
		return nil, nil, err
	}
	if stale, err = atomicfile.RemoveStale(string(d)); err != nil {
		err = fmt.Errorf("removing temporary files of an interrupted run: %w", err)
	} else {
		err = d.prepare(cfg)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return unlock, stale, nil
}

// prepare creates the directory and freezes the configuration (every key,
// defaults included), or, for an existing run, checks that cfg is the
// configuration it was made with. Keys that do not change the result
// (threads, run_dir) may differ.
func (d runDir) prepare(cfg Config) error {
	for _, sub := range []string{"data", "checkpoints", "samples", "figures", "logs", "metrics", "report"} {
		if err := os.MkdirAll(d.path(sub), 0o755); err != nil {
			return err
		}
	}
	frozen := d.path("config.toml")
	old, err := os.ReadFile(frozen)
	if errors.Is(err, fs.ErrNotExist) {
		return atomicfile.Write(frozen, func(w io.Writer) error {
			fmt.Fprintf(w, "%s, every key included.\n# cosmogan refuses to continue the run with another one.\n\n", frozenHeader)
			return toml.NewEncoder(w).Encode(cfg)
		})
	}
	if err != nil {
		return err
	}
	prev, err := ParseConfig(frozen, old)
	if err != nil {
		return err
	}
	if diff := configDiff(prev, cfg); len(diff) > 0 {
		return configErrorf("run directory %s was made with another configuration; differing keys: %s (start a new run_dir, or restore the configuration in %s)",
			d, strings.Join(diff, "; "), frozen)
	}
	return nil
}

// configDiff lists the keys whose values differ between a and b, ignoring
// those that do not change results.
func configDiff(a, b Config) []string {
	fa, fb := flatten(a.resultKeys()), flatten(b.resultKeys())
	var diff []string
	for k, va := range fa {
		if vb := fb[k]; vb != va {
			diff = append(diff, fmt.Sprintf("%s = %s, was %s", k, vb, va))
		}
	}
	sort.Strings(diff)
	return diff
}

func flatten(c Config) map[string]string {
	var buf strings.Builder
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		panic(err) // a Config always encodes
	}
	var m map[string]any
	if _, err := toml.Decode(buf.String(), &m); err != nil {
		panic(err)
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			out[prefix+k] = fmt.Sprint(v)
		}
	}
	walk("", m)
	return out
}

// checkpoints lists the numbered checkpoints of a stage, newest first.
func (d runDir) checkpoints(stage string) []string {
	paths, _ := filepath.Glob(d.path("checkpoints", stage+"-[0-9]*.ckpt"))
	sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	return paths
}

func (d runDir) checkpointPath(stage string, step int) string {
	return d.path("checkpoints", fmt.Sprintf("%s-%09d.ckpt", stage, step))
}

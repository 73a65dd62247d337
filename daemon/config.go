// Package daemon runs cosmogan's training job: it reads the configuration,
// makes or reuses the dataset, trains the GAN and then the autoencoder, writes
// checkpoints, samples and figures into a run directory, and resumes from that
// directory when started again.
package daemon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/sim"
)

// Config is the whole configuration of a run, decoded from TOML. Every key is
// documented in README.md; DefaultConfig gives the values of absent keys.
type Config struct {
	Seed       uint64 `toml:"seed"`        // seeds every random stream of the run
	Threads    int    `toml:"threads"`     // worker threads per rank; 0 = all cores
	Device     Device `toml:"device"`      // "cpu", or "cuda": train on one GPU per rank
	RunDir     string `toml:"run_dir"`     // where the run keeps everything
	StatusAddr string `toml:"status_addr"` // rank 0's HTTP status endpoint; "" = off
	// StatusPublic allows a status_addr other machines can reach: the
	// endpoint is read-only but has no authentication.
	StatusPublic bool `toml:"status_public"`

	Data  DataConfig  `toml:"data"`
	Model model.Arch  `toml:"model"`
	Train TrainConfig `toml:"train"`
	GAN   GANConfig   `toml:"gan"`
	AE    AEConfig    `toml:"ae"`
	Out   OutConfig   `toml:"output"`
}

// TrainConfig is what both training stages share: data parallelism and the
// handling of failed steps.
type TrainConfig struct {
	// SyncBatchNorm normalizes over the global batch (all ranks) instead of
	// each rank's part.
	SyncBatchNorm bool `toml:"sync_batchnorm"`
	// ChecksumEvery is the number of steps between comparisons of the
	// parameters across ranks.
	ChecksumEvery int `toml:"checksum_every"`
	// MaxSkippedSteps non-finite steps in a row roll the stage back to its
	// last checkpoint; after MaxRollbacks rollbacks the run stops.
	MaxSkippedSteps int `toml:"max_skipped_steps"`
	MaxRollbacks    int `toml:"max_rollbacks"`
}

// DataConfig describes the dataset. Sources:
//
//   - "simulation" (default): independent particle-mesh simulations (sim),
//     one density field each, for training, validation and test: no pixel is
//     shared between the sets.
//   - "lognormal": independent lognormal fields (the exponential of a
//     Gaussian random field with a power-law spectrum): seconds to make, with
//     the one-point statistics of a log-like field but no filaments.
//   - "files": density fields a user already has, the .npy files Path names
//     (a directory, or a glob such as "sims/sim_*_density.npy", as cosmogan
//     simulate writes them): 2D (N,N) or 3D (N,N,N), float32 or float64, one
//     shape for all, in any unit of density (particles per pixel, ρ/ρ̄, mass
//     per cell), each a whole periodic box. Whole files go to training,
//     validation and test (TrainFields, ValidationFields, TestFields of them,
//     drawn from the seed; the others stay unused).
//   - "field": one prepared field (cosmogan prepare), cut along axis 0 into
//     test, validation and training slabs whose crops never cross into each
//     other, not even through the periodic wrap.
//
// The fields of the simulation, lognormal and files sources are divided by
// their mean before the transform: the networks see ρ/ρ̄, the unit Eq. 1's
// bounds are meant for.
type DataConfig struct {
	Source           Source         `toml:"source"`
	Grid             int            `toml:"grid"`              // side of each field in pixels (simulation, lognormal)
	TrainFields      int            `toml:"train_fields"`      // fields training crops are drawn from
	ValidationFields int            `toml:"validation_fields"` // fields for choosing checkpoints (GAN best, AE early stop)
	TestFields       int            `toml:"test_fields"`       // fields for the final report only
	Transform        data.Transform `toml:"transform"`         // "eq1", "eq2" or "none"

	// simulation
	Assign    string        `toml:"assign"`    // "dtfe" (2D), "ngp" or "cic"
	Particles int           `toml:"particles"` // per axis
	Mesh      int           `toml:"mesh"`      // PM cells per axis
	Box       float64       `toml:"box"`       // Mpc/h
	ZStart    float64       `toml:"z_start"`
	ZEnd      float64       `toml:"z_end"`
	SimSteps  int           `toml:"sim_steps"`
	Cosmology sim.Cosmology `toml:"cosmology"`

	// lognormal
	Slope float64 `toml:"slope"` // power-law index of the Gaussian field's spectrum
	Sigma float64 `toml:"sigma"` // standard deviation of the Gaussian field

	// field: a prepared .npy, values already transformed with transform;
	// files: a directory or glob of .npy density fields.
	Path string `toml:"path"`

	// field
	TestFraction       float64 `toml:"test_fraction"`       // of axis 0
	ValidationFraction float64 `toml:"validation_fraction"` // of axis 0
}

// GANConfig is the GAN stage.
type GANConfig struct {
	Batch           int     `toml:"batch"`
	Steps           int     `toml:"steps"`
	LabelNoise      float64 `toml:"label_noise"` // fraction of D labels flipped
	CheckpointEvery int     `toml:"checkpoint_every"`
	LogEvery        int     `toml:"log_every"`
	EvalEvery       int     `toml:"eval_every"`   // steps between evaluations on validation crops
	EvalSamples     int     `toml:"eval_samples"` // generated samples (and validation crops) per evaluation
	model.AdamConfig
	// LRD, when set, is D's learning rate, lr then being G's: the two
	// time-scale update rule (Heusel et al. 2017), D faster than G. 0 (the
	// paper's recipe) gives both lr.
	LRD float32 `toml:"lr_d"`
	// GEMA, when set, is the decay of an exponential moving average of G's
	// weights (model.EMA), which evaluation, samples, checkpoints' sampler
	// and the AE then use instead of G. 0 (the paper's recipe) is off;
	// 0.999 averages over about a thousand updates.
	GEMA float64 `toml:"g_ema"`
	// ModeSeeking, when set, weighs the mode-seeking term of G's loss
	// (model.GAN.ModeSeeking), which penalizes samples of different z that
	// look alike. 0 (the paper's recipe) is off; it needs 2 samples per rank.
	ModeSeeking float64 `toml:"mode_seeking"`
}

// AEConfig is the autoencoder stage: early stopping on the validation loss,
// evaluated every EvalEvery steps, after Patience evaluations without
// improvement.
type AEConfig struct {
	Batch           int `toml:"batch"`
	Steps           int `toml:"steps"`
	EvalEvery       int `toml:"eval_every"`
	Patience        int `toml:"patience"`
	ValidationCrops int `toml:"validation_crops"`
	CheckpointEvery int `toml:"checkpoint_every"`
	LogEvery        int `toml:"log_every"`
	model.AdamConfig
	// LatentWeight, when set, adds model.AE's latent regression: E also
	// learns to recover z from G(z), for batch latent vectors per step,
	// weighted by it. 0 (the paper's Eq. 7 alone) is off.
	LatentWeight float64 `toml:"latent_weight"`
}

// OutConfig is what the run writes at the end of each stage.
type OutConfig struct {
	Samples      int `toml:"samples"`       // generated samples written to samples/generated.npy
	FigurePanels int `toml:"figure_panels"` // images per row of the real/generated figures
}

// DefaultConfig is a small 2D run that finishes in minutes on a laptop.
func DefaultConfig() Config {
	return Config{
		Seed: 1, Device: DeviceCPU, RunDir: "runs/default", StatusAddr: "127.0.0.1:0",
		Train: TrainConfig{ChecksumEvery: 100, MaxSkippedSteps: 10, MaxRollbacks: 3},
		Data: DataConfig{Source: SourceSimulation, Grid: 256, TrainFields: 8, ValidationFields: 2, TestFields: 2, Transform: data.Eq1,
			Assign: "dtfe", Particles: 512, Mesh: 512, Box: 100, ZStart: 49, ZEnd: 0, SimSteps: 40, Cosmology: sim.Planck18(),
			Slope: -2, Sigma: 1.5, TestFraction: 0.2, ValidationFraction: 0.1},
		Model: model.Arch{Dim: 2, Size: 64, Latent: 100, Kernel: 4,
			GFilters: []int{128, 64, 32, 16, 1}, DFilters: []int{16, 32, 64, 128, 256}},
		GAN: GANConfig{Batch: 32, Steps: 3500, LabelNoise: 0.05, CheckpointEvery: 250, LogEvery: 50, EvalEvery: 250, EvalSamples: 64,
			AdamConfig: model.DefaultAdam()},
		AE: AEConfig{Batch: 32, Steps: 600, EvalEvery: 100, Patience: 5, ValidationCrops: 64,
			CheckpointEvery: 250, LogEvery: 50, AdamConfig: model.DefaultAdam()},
		Out: OutConfig{Samples: 64, FigurePanels: 8},
	}
}

// ConfigError is an error in the configuration or the command line, which
// the program reports with exit status 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(format string, args ...any) error {
	return &ConfigError{fmt.Errorf(format, args...)}
}

// LoadConfig decodes path over the defaults, strictly: an unknown or
// misspelled key is an error naming the key and the file.
func LoadConfig(path string) (Config, error) {
	raw, err := readConfigFile(path)
	if err != nil {
		return Config{}, &ConfigError{err}
	}
	return ParseConfig(path, raw)
}

// ParseConfig is LoadConfig on content already read; name is used in errors.
func ParseConfig(name string, raw []byte) (Config, error) {
	cfg := DefaultConfig()
	// Lists replace the defaults instead of merging into them.
	cfg.Model.GFilters, cfg.Model.DFilters = nil, nil
	if d := tomlDepth(raw); d > maxTOMLDepth {
		return Config{}, configErrorf("%s: keys, tables or arrays nested %d deep, want at most %d", name, d, maxTOMLDepth)
	}
	md, err := toml.NewDecoder(bytes.NewReader(raw)).Decode(&cfg)
	if err != nil {
		return Config{}, configErrorf("%s: %v", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, configErrorf("%s: unknown key %s (misspelled? see README.md for the keys)", name, strings.Join(keys, ", "))
	}
	def := DefaultConfig()
	if cfg.Model.GFilters == nil {
		cfg.Model.GFilters = def.Model.GFilters
	}
	if cfg.Model.DFilters == nil {
		cfg.Model.DFilters = def.Model.DFilters
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, &ConfigError{fmt.Errorf("%s: %w", name, err)}
	}
	return cfg, nil
}

// Validate reports every inconsistent value, naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Threads < 0 || c.Threads > maxThreads {
		bad("threads = %d, want 0 (all cores) to %d", c.Threads, maxThreads)
	}
	if !slices.Contains(devices, c.Device) { // a Config made in code; a file's is checked as it is decoded
		bad("device = %q, want %s", c.Device, quoted(devices))
	}
	// The terms computed on host buffers (model.ops.host) exist on the CPU only.
	if c.Device == DeviceCUDA && c.AE.LatentWeight != 0 {
		bad(`ae.latent_weight has no GPU implementation yet: train it with device = "cpu"`)
	}
	if c.Device == DeviceCUDA && c.GAN.ModeSeeking != 0 {
		bad(`gan.mode_seeking has no GPU implementation yet: train it with device = "cpu"`)
	}
	if c.RunDir == "" {
		bad("run_dir is empty")
	}
	if err := c.checkStatusAddr(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Data.validate(c.Model)...)
	if err := c.Model.Validate(); err != nil {
		for _, e := range unjoin(err) {
			bad("model.%v", e)
		}
	} else if err := c.Model.CheckGPU(); err != nil && c.Device == DeviceCUDA {
		// A layer that the [model] keys ask for and the GPU backend lacks.
		for _, e := range unjoin(err) {
			bad(`device = "cuda": the model's %v: train it with device = "cpu"`, e)
		}
	}
	errs = append(errs, c.checkTraining()...)
	errs = append(errs, c.checkBounds()...)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// checkTraining reports the inconsistent values of the training keys: the
// batches, step counts and intervals, and the optimizers' settings.
func (c *Config) checkTraining() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	positive := func(key string, v int) {
		if v < 1 {
			bad("%s = %d, want ≥ 1", key, v)
		}
	}
	positive("gan.batch", c.GAN.Batch)
	positive("ae.batch", c.AE.Batch)
	for key, v := range map[string]int{"gan.steps": c.GAN.Steps, "ae.steps": c.AE.Steps} {
		if v < 0 {
			bad("%s = %d, want ≥ 0", key, v)
		}
	}
	for key, v := range map[string]int{"gan.checkpoint_every": c.GAN.CheckpointEvery, "gan.log_every": c.GAN.LogEvery,
		"gan.eval_every": c.GAN.EvalEvery, "gan.eval_samples": c.GAN.EvalSamples, "train.checksum_every": c.Train.ChecksumEvery,
		"train.max_skipped_steps": c.Train.MaxSkippedSteps,
		"ae.checkpoint_every":     c.AE.CheckpointEvery, "ae.log_every": c.AE.LogEvery, "ae.eval_every": c.AE.EvalEvery,
		"ae.patience": c.AE.Patience, "ae.validation_crops": c.AE.ValidationCrops, "output.figure_panels": c.Out.FigurePanels} {
		positive(key, v)
	}
	if c.Train.MaxRollbacks < 0 {
		bad("train.max_rollbacks = %d, want ≥ 0", c.Train.MaxRollbacks)
	}
	if c.Out.Samples < 0 {
		bad("output.samples = %d, want ≥ 0", c.Out.Samples)
	}
	// Every range is written so that NaN, which fails every comparison,
	// falls outside it.
	if !(c.GAN.LabelNoise >= 0 && c.GAN.LabelNoise < 0.5) {
		bad("gan.label_noise = %g, want in [0, 0.5)", c.GAN.LabelNoise)
	}
	if !(c.GAN.LRD >= 0 && c.GAN.LRD <= 1) {
		bad("gan.lr_d = %g, want 0 (D learns at gan.lr) or in (0, 1]", c.GAN.LRD)
	}
	if !(c.AE.LatentWeight >= 0 && c.AE.LatentWeight <= 1e6) {
		bad("ae.latent_weight = %g, want 0 (off) or a positive weight up to 1e6, such as 1", c.AE.LatentWeight)
	}
	if !(c.GAN.ModeSeeking >= 0 && c.GAN.ModeSeeking <= 1e6) {
		bad("gan.mode_seeking = %g, want 0 (off) or a positive weight up to 1e6, such as 1", c.GAN.ModeSeeking)
	}
	if !(c.GAN.GEMA >= 0 && c.GAN.GEMA < 1) {
		bad("gan.g_ema = %g, want 0 (off) or a decay in (0, 1), such as 0.999", c.GAN.GEMA)
	}
	for _, a := range []struct {
		key string
		c   model.AdamConfig
	}{{"gan", c.GAN.AdamConfig}, {"ae", c.AE.AdamConfig}} {
		// A learning rate above 1 moves every weight by up to its whole
		// scale per step: never a useful setting, often a typo (2e4 for 2e-4).
		if !(a.c.LR > 0 && a.c.LR <= 1) {
			bad("%s.lr = %g, want in (0, 1] (the paper: 2e-4)", a.key, a.c.LR)
		}
		for _, b := range []struct {
			name string
			v    float32
		}{{"beta1", a.c.Beta1}, {"beta2", a.c.Beta2}} {
			if !(b.v >= 0 && b.v < 1) {
				bad("%s.%s = %g, want in [0, 1)", a.key, b.name, b.v)
			}
		}
		if !(a.c.Eps > 0 && a.c.Eps <= 1) {
			bad("%s.eps = %g, want in (0, 1] (default 1e-8)", a.key, a.c.Eps)
		}
	}
	return errs
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// resultKeys is the configuration without the keys that do not change the
// result of a run (threads, where it runs, how it is watched). The device
// changes results only within float32 rounding, so a run may resume on the
// other one.
func (c Config) resultKeys() Config {
	c.Threads, c.Device, c.RunDir, c.StatusAddr, c.StatusPublic = 0, "", "", "", false
	return c
}

// hash identifies the result-changing configuration, for checkpoints.
func (c Config) hash() string {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(c.resultKeys()); err != nil {
		panic(err) // a Config always encodes
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShippedConfigurationsParse(t *testing.T) {
	for _, path := range []string{"../config.toml", "../configs/tiny.toml", "../configs/paper-2d.toml", "../configs/paper-3d.toml"} {
		if _, err := LoadConfig(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
	// config.toml lists every key with its default: the two must not drift.
	if shipped, err := LoadConfig("../config.toml"); err == nil && configDiff(shipped, def) != nil {
		t.Errorf("config.toml and DefaultConfig differ: %v", configDiff(shipped, def))
	}
}

// TestConfigErrorsNameTheKey checks that each kind of bad configuration is a
// ConfigError (exit status 2) whose message names the file and the key, and
// is refused at once.
func TestConfigErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name, toml string
		want       []string
	}{
		{"unknown top-level key", "sed = 3\n", []string{"unknown key", "sed"}},
		{"misspelled nested key", "[gan]\nbach = 4\n", []string{"unknown key", "gan.bach"}},
		{"zero batch", "[gan]\nbatch = 0\n", []string{"gan.batch = 0"}},
		{"size does not divide", "[model]\nsize = 100\n", []string{"model.size = 100", "2^5"}},
		{"bad transform", "[data]\ntransform = \"log\"\n", []string{"log"}},
		{"bad device", "device = \"gpu\"\n", []string{`device = "gpu"`, `"cpu" or "cuda"`}},
		{"bad source", "[data]\nsource = \"sims\"\n", []string{`data.source = "sims"`, `"simulation", "lognormal", "files" or "field"`}},
		{"syntax error", "[gan\n", []string{"bad.toml"}},
		{"resize upsampling on the GPU", "device = \"cuda\"\n[model]\nupsample = \"resize\"\n", []string{`device = "cuda"`, "G layer 4 (Upsample) has no GPU"}},
		{"spectral norm on the GPU", "device = \"cuda\"\n[model]\nd_norm = \"spectral\"\n", []string{`device = "cuda"`, "D layer 0 (SpectralNorm) has no GPU"}},
		{"unknown upsampling", "[model]\nupsample = \"bilinear\"\n", []string{"model.upsample = \"bilinear\""}},
		{"minibatch std on the GPU", "device = \"cuda\"\n[model]\nminibatch_std = true\n", []string{`device = "cuda"`, "(MinibatchStd) has no GPU"}},
		{"filters without the density channel", "[model]\ng_filters = [8, 4]\n", []string{"model.g_filters"}},
		// Hostile values that used to run (and end "complete" with wrong
		// weights), crash or exhaust memory.
		{"NaN learning rate", "[gan]\nlr = nan\n", []string{"gan.lr = NaN", "(0, 1]"}},
		{"huge learning rate", "[gan]\nlr = 1e30\n", []string{"gan.lr = 1e+30"}},
		{"NaN beta1", "[ae]\nbeta1 = nan\n", []string{"ae.beta1 = NaN"}},
		{"NaN eps", "[gan]\neps = nan\n", []string{"gan.eps = NaN"}},
		{"NaN label noise", "[gan]\nlabel_noise = nan\n", []string{"gan.label_noise = NaN"}},
		{"infinite label noise", "[gan]\nlabel_noise = -inf\n", []string{"gan.label_noise = -Inf"}},
		{"huge latent", "[model]\nlatent = 1000000000000\n", []string{"model.latent = 1000000000000"}},
		{"64 layers", "[model]\nd_filters = [" + strings.Repeat("1, ", 63) + "1]\n", []string{"model.d_filters has 64 layers"}},
		{"huge batch", "[gan]\nbatch = 1000000000\n", []string{"gan.batch = 1000000000, want at most"}},
		{"huge samples", "[output]\nsamples = 1000000000\n", []string{"output.samples = 1000000000"}},
		{"a million threads", "threads = 1000000\n", []string{"threads = 1000000"}},
		{"huge grid", "[data]\ngrid = 1048576\n", []string{"data.grid = 1048576"}},
		{"public status endpoint", "status_addr = \"0.0.0.0:8080\"\n", []string{"status_addr", "status_public = true"}},
		{"status address without port", "status_addr = \"localhost\"\n", []string{"status_addr = \"localhost\"", "host:port"}},
		{"deeply nested keys", strings.Repeat("a.", 5000) + "a = 1\n", []string{"nested", "deep"}},
		{"deeply nested arrays", "x = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", []string{"nested"}},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.toml")
			if err := os.WriteFile(path, []byte(tc.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err := LoadConfig(path)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to refuse", d)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a ConfigError", err)
			}
			for _, w := range append(tc.want, "bad.toml") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigListsReplaceDefaults(t *testing.T) {
	cfg, err := ParseConfig("x.toml", []byte("[model]\nsize = 16\ng_filters = [4, 1]\nd_filters = [4]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Model.GFilters) != 2 || len(cfg.Model.DFilters) != 1 {
		t.Errorf("filters %v %v, want the configured [4 1] and [4]", cfg.Model.GFilters, cfg.Model.DFilters)
	}
	cfg, err = ParseConfig("x.toml", []byte("[gan]\nlr = 1e-3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GAN.LR != 1e-3 || cfg.GAN.Beta1 != 0.5 {
		t.Errorf("gan.lr = %g, beta1 = %g; want 1e-3 and the default 0.5", cfg.GAN.LR, cfg.GAN.Beta1)
	}
}

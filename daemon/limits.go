package daemon

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/cosmogan/cosmogan/internal/sysmem"
)

// Bounds on what a configuration may ask for. They sit far above any real
// run and keep a typo (batch = 1e9) or a hostile file from ending in an
// out-of-memory crash, an overflow or a loop of hours before the first
// allocation; the memory estimate (memoryNeed) judges the rest.
const (
	maxThreads     = 1024
	maxBatch       = 1 << 16
	maxSteps       = 1 << 31
	maxSamples     = 1 << 20 // output.samples, gan.eval_samples, ae.validation_crops
	maxPanels      = 64
	maxFields      = 1 << 20
	maxGrid        = 1 << 16
	maxParticles   = 1 << 15 // per axis
	maxSimSteps    = 1 << 16
	maxConfigBytes = 1 << 20
	// maxTOMLDepth bounds the nesting of keys, tables and arrays: the TOML
	// decoder's time and memory grow with the square of it (a 20 KB file of
	// one 10 000-deep key takes 1.3 GB). cosmogan's keys nest 3 deep.
	maxTOMLDepth = 16
)

// checkBounds reports every size key above its bound.
func (c *Config) checkBounds() []error {
	var errs []error
	for _, b := range []struct {
		key      string
		v, limit int
	}{
		{"gan.batch", c.GAN.Batch, maxBatch}, {"ae.batch", c.AE.Batch, maxBatch},
		{"gan.steps", c.GAN.Steps, maxSteps}, {"ae.steps", c.AE.Steps, maxSteps},
		{"output.samples", c.Out.Samples, maxSamples}, {"gan.eval_samples", c.GAN.EvalSamples, maxSamples},
		{"ae.validation_crops", c.AE.ValidationCrops, maxSamples}, {"output.figure_panels", c.Out.FigurePanels, maxPanels},
		{"data.train_fields", c.Data.TrainFields, maxFields}, {"data.validation_fields", c.Data.ValidationFields, maxFields},
		{"data.test_fields", c.Data.TestFields, maxFields}, {"data.grid", c.Data.Grid, maxGrid},
		{"data.particles", c.Data.Particles, maxParticles}, {"data.mesh", c.Data.Mesh, 2 * maxParticles},
		{"data.sim_steps", c.Data.SimSteps, maxSimSteps},
	} {
		if b.v > b.limit {
			errs = append(errs, fmt.Errorf("%s = %d, want at most %d", b.key, b.v, b.limit))
		}
	}
	return errs
}

// readConfigFile reads at most maxConfigBytes of path: a configuration is a
// few kilobytes, and /dev/zero must not be read until memory runs out.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes; a cosmogan configuration is a few kilobytes", path, maxConfigBytes)
	}
	return raw, nil
}

// tomlDepth is the deepest nesting of raw: dots of a dotted key or table
// header, and brackets and braces of arrays and inline tables, outside
// strings and comments. It is a bound, not a parser: a float value adds one
// dot, and a multi-line string's triple quotes open and close strings in
// pairs, leaving its content inside one.
func tomlDepth(raw []byte) int {
	depth, dots, deepest := 0, 0, 0
	var quote byte // the open string's quote character, 0 outside strings
	comment := false
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		switch {
		case ch == '\n':
			comment, dots = false, 0
		case comment:
		case quote != 0:
			if ch == '\\' && quote == '"' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '#':
			comment = true
		case ch == '[' || ch == '{':
			depth++
		case ch == ']' || ch == '}':
			depth--
		case ch == '.':
			dots++
		case ch == '=' || ch == ',':
			dots = 0
		}
		deepest = max(deepest, depth+dots)
	}
	return deepest
}

// checkStatusAddr checks status_addr before anything is created: a valid
// host:port, and an address only this machine can reach unless
// status_public opts in (the endpoint has no authentication).
func (c *Config) checkStatusAddr() error {
	if c.StatusAddr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.StatusAddr)
	if err != nil {
		return fmt.Errorf("status_addr = %q: %v; want host:port, e.g. \"127.0.0.1:0\"", c.StatusAddr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("status_addr = %q: port %q, want 0 (any free one) to 65535", c.StatusAddr, port)
	}
	if !loopback(host) && !c.StatusPublic {
		return fmt.Errorf("status_addr = %q listens beyond this machine, and the endpoint has no authentication: use 127.0.0.1, or set status_public = true to serve it on the network", c.StatusAddr)
	}
	return nil
}

// loopback reports whether host names only this machine. Host names other
// than localhost are not resolved here, so they count as public.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// memoryNeed estimates the peak memory of one rank of a run of ranks, in
// bytes: the fields of the dataset held in memory, a simulation being made,
// the networks with their gradients and Adam moments, the activations and
// column matrices of a step, and the evaluation and output samples. It is
// meant to be within a factor of two, to refuse what cannot fit before
// hours are spent, not to plan memory.
func (c Config) memoryNeed(ranks int) int64 {
	const f32 = 4
	a := c.Model
	fp := a.Footprint()
	vol := func(side int) int64 {
		v := int64(1)
		for range a.Dim {
			v *= int64(side)
		}
		return v
	}
	var need int64
	if c.Data.Source != SourceField {
		fields := int64(c.Data.TrainFields + c.Data.ValidationFields + c.Data.TestFields)
		need += fields * vol(c.Data.Grid) * f32
	}
	if c.Data.Source == SourceSimulation {
		particles, mesh := c.Data.simConfig(a.Dim).MemoryBytes()
		need += int64(particles + mesh)
	}
	// G, D and E (about D's size): parameters, gradients and two moments.
	need += 4 * (fp.GParams + 2*fp.DParams) * f32
	perRank := int64(max(c.GAN.Batch, c.AE.Batch)/max(ranks, 1)) + 1
	// A GAN step holds G's activations and D's for the real and fake halves.
	need += perRank * (fp.GActs + 2*fp.DActs + fp.Columns) * f32
	samples := int64(c.Out.Samples + 2*c.GAN.EvalSamples + 3*c.AE.ValidationCrops)
	need += samples * vol(a.Size) * f32
	return need
}

// checkMemory refuses a run whose estimated need exceeds this machine's
// memory, naming both; where the memory cannot be read it accepts.
func (c Config) checkMemory(ranks int) error {
	total := sysmem.Total()
	if need := c.memoryNeed(ranks); total > 0 && need > total {
		return configErrorf("this configuration needs about %s per rank (dataset, networks, batch of %d per rank, samples), this machine has %s: lower data.grid, the field counts, the batch or the model's size",
			gigabytes(need), max(c.GAN.Batch, c.AE.Batch)/max(ranks, 1), gigabytes(total))
	}
	return nil
}

func gigabytes(b int64) string { return fmt.Sprintf("%.1f GB", float64(b)/1e9) }

package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
)

// A checkpoint file is
//
//	magic "COSMOGAN-CKPT-v1" (16 bytes)
//	header length (uint32, little endian) and the JSON header
//	for each network of the header, in order: parameters, state, Adam first
//	and second moments, as little-endian float32
//	SHA-256 of everything before it (32 bytes)
//
// so one read and one hash verify the whole file before anything is used.
const checkpointMagic = "COSMOGAN-CKPT-v1"

// Checkpoint is what a training stage needs to continue: the architecture,
// every network's parameters, state and optimizer moments, the step, the
// stage's progress, and free-form metadata (who made it: transform,
// config_sha256). Nothing random is saved: every draw of training derives
// from the seed and the step.
type Checkpoint struct {
	Arch  Arch   `json:"arch"`
	Stage string `json:"stage"`
	Step  int64  `json:"step"`
	// Progress is nil in a checkpoint made to ship a network rather than to
	// resume (cosmogan ckpt strip).
	Progress *Progress         `json:"progress,omitempty"`
	Meta     map[string]string `json:"meta,omitempty"`
	Nets     []NetState        `json:"nets"`
}

// Progress is where a training stage stood when its checkpoint was written,
// beyond its networks: what resuming it needs.
type Progress struct {
	Step      int     `json:"step"`      // steps done
	Rollbacks int     `json:"rollbacks"` // rollbacks after non-finite gradients so far
	Best      float64 `json:"best"`      // best evaluation so far (lower is better), math.MaxFloat64 before the first
	BestStep  int     `json:"best_step"`
	Stale     int     `json:"stale"`            // evaluations since the best
	WorldSize int     `json:"world_size"`       // ranks of the run that wrote it
	Updates   int     `json:"updates"`          // updates applied (steps not skipped)
	Skipped   int     `json:"skipped_in_a_row"` // skipped steps since the last applied update
}

// legacyHeader reads what checkpoints before the typed Progress kept in Meta:
// the progress as JSON in a string, and the world size a second time.
func (c *Checkpoint) legacyHeader() error {
	if s, ok := c.Meta["progress"]; ok && c.Progress == nil {
		var p Progress
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			return fmt.Errorf("meta.progress: %v", err)
		}
		c.Progress = &p
	}
	delete(c.Meta, "progress")
	delete(c.Meta, "world_size")
	return nil
}

// NetState is one network in a checkpoint. M and V are empty for a network
// saved without its optimizer (a frozen one).
type NetState struct {
	Name     string    `json:"name"`
	Params   []float32 `json:"-"`
	State    []float32 `json:"-"`
	M, V     []float32 `json:"-"`
	AdamStep int       `json:"adam_step"`

	// Lengths, written in the header so the decoder knows the layout.
	NParams int  `json:"n_params"`
	NState  int  `json:"n_state"`
	HasAdam bool `json:"has_adam"`
}

// Capture returns the state of n (and of opt, if not nil) as a NetState.
// The slices are copies, so training can go on while it is written.
func Capture(n *Net, opt *Adam) NetState {
	s := NetState{Name: n.Name, Params: clone(n.Params), State: clone(n.State)}
	if opt != nil {
		s.M, s.V, s.AdamStep = clone(opt.M), clone(opt.V), opt.Step
	}
	return s
}

func clone(s []float32) []float32 { return append([]float32(nil), s...) }

// Restore copies the saved state into n (and opt, if not nil), after checking
// that the sizes match. Sizes differ for another architecture, and for a
// checkpoint of the same architecture written by a cosmogan whose layers had
// other parameters: G's first batch norm had γ, β and running statistics per
// dense feature until it became per channel.
func (s *NetState) Restore(n *Net, opt *Adam) error {
	if len(s.Params) != len(n.Params) || len(s.State) != len(n.State) {
		return fmt.Errorf("checkpoint network %s has %d parameters and %d state values, the network to load it into has %d and %d: "+
			"the checkpoint was made for another architecture, or by an older cosmogan (before G's first batch norm became per channel); "+
			"such a checkpoint cannot be loaded: train again",
			s.Name, len(s.Params), len(s.State), len(n.Params), len(n.State))
	}
	copy(n.Params, s.Params)
	copy(n.State, s.State)
	if opt != nil {
		if len(s.M) != len(opt.M) {
			return fmt.Errorf("checkpoint network %s has no optimizer state to resume from", s.Name)
		}
		copy(opt.M, s.M)
		copy(opt.V, s.V)
		opt.Step = s.AdamStep
	}
	return nil
}

// Net returns the saved network called name.
func (c *Checkpoint) Net(name string) (*NetState, error) {
	for i := range c.Nets {
		if c.Nets[i].Name == name {
			return &c.Nets[i], nil
		}
	}
	return nil, fmt.Errorf("checkpoint of stage %q holds no network %s", c.Stage, name)
}

// Generator returns the generator to sample from: the moving average of G's
// weights (EMAName) where training kept one, else G.
func (c *Checkpoint) Generator() (*NetState, error) {
	if g, err := c.Net(EMAName); err == nil {
		return g, nil
	}
	return c.Net("G")
}

// Encode writes the checkpoint.
func (c *Checkpoint) Encode(w io.Writer) error {
	for i := range c.Nets {
		s := &c.Nets[i]
		s.NParams, s.NState, s.HasAdam = len(s.Params), len(s.State), len(s.M) > 0
		if s.HasAdam && (len(s.M) != len(s.Params) || len(s.V) != len(s.Params)) {
			return fmt.Errorf("checkpoint network %s: optimizer moments do not match its %d parameters", s.Name, len(s.Params))
		}
	}
	header, err := json.Marshal(c)
	if err != nil {
		return err
	}
	h := sha256.New()
	mw := io.MultiWriter(w, h)
	buf := make([]byte, 0, 1<<16)
	buf = append(buf, checkpointMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(header)))
	buf = append(buf, header...)
	if _, err := mw.Write(buf); err != nil {
		return err
	}
	for _, s := range c.Nets {
		for _, part := range [][]float32{s.Params, s.State, s.M, s.V} {
			if err := writeFloats(mw, part, &buf); err != nil {
				return err
			}
		}
	}
	_, err = w.Write(h.Sum(nil))
	return err
}

func writeFloats(w io.Writer, s []float32, buf *[]byte) error {
	for len(s) > 0 {
		n := min(len(s), cap(*buf)/4)
		b := (*buf)[:0]
		for _, v := range s[:n] {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// ErrCorrupt is returned (wrapped) when a checkpoint fails its checksum or is
// malformed.
var ErrCorrupt = errors.New("corrupted checkpoint")

// ReadCheckpoint decodes the checkpoint file at path (DecodeCheckpoint),
// naming the file in a decoding error; an error opening it is os.Open's.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ck, err := DecodeCheckpoint(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ck, nil
}

// DecodeCheckpoint reads a checkpoint and verifies its checksum.
func DecodeCheckpoint(r io.Reader) (*Checkpoint, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(data) < len(checkpointMagic)+4+sha256.Size || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a cosmogan checkpoint (bad magic or too short)", ErrCorrupt)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: SHA-256 checksum mismatch (truncated or damaged file)", ErrCorrupt)
	}
	body = body[len(checkpointMagic):]
	hl := int(binary.LittleEndian.Uint32(body))
	if hl > len(body)-4 {
		return nil, fmt.Errorf("%w: header length %d exceeds the file", ErrCorrupt, hl)
	}
	var c Checkpoint
	if err := json.Unmarshal(body[4:4+hl], &c); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if err := c.legacyHeader(); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	// The header is checksummed but may still be crafted: validate every
	// field before it sizes anything.
	if err := c.Arch.Validate(); err != nil {
		return nil, fmt.Errorf("%w: header architecture: %v", ErrCorrupt, err)
	}
	rest := body[4+hl:]
	read := func(n int) ([]float32, error) {
		if n < 0 || n > len(rest)/4 { // not 4*n > len(rest): a crafted n overflows it
			return nil, fmt.Errorf("%w: data shorter than its header says", ErrCorrupt)
		}
		s := make([]float32, n)
		for i := range s {
			s[i] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*i:]))
		}
		rest = rest[4*n:]
		return s, nil
	}
	for i := range c.Nets {
		s := &c.Nets[i]
		nm := 0
		if s.HasAdam {
			nm = s.NParams
		}
		for _, part := range []struct {
			dst *[]float32
			n   int
		}{{&s.Params, s.NParams}, {&s.State, s.NState}, {&s.M, nm}, {&s.V, nm}} {
			if *part.dst, err = read(part.n); err != nil {
				return nil, err
			}
		}
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes beyond the data its header describes", ErrCorrupt, len(rest))
	}
	return &c, nil
}

// Equal reports whether two architectures build the same networks.
func (a Arch) Equal(b Arch) bool { return reflect.DeepEqual(a, b) }

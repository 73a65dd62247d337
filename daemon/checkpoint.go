package daemon

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/model"
	"github.com/cosmogan/cosmogan/parallel"
)

// progress is the state of a stage beyond its networks, saved in every
// checkpoint's header and broadcast on resume. Its best evaluation is the
// GAN's score or the AE's validation loss.
type progress = model.Progress

// trained is a network trained in a stage, with its optimizer.
type trained struct {
	net *model.Net
	opt *model.Adam
}

// checkpointer writes and reads the checkpoints of one stage. Only rank 0
// writes; readers are rank 0 too, which then broadcasts.
type checkpointer struct {
	dir        runDir
	stage      string
	log        zerolog.Logger
	configHash string // of the run: a checkpoint with another one is not this run's
}

// checkpointer is the checkpointer of one of r's stages.
func (r *runner) checkpointer(stage string) checkpointer {
	return checkpointer{dir: r.dir, stage: stage, log: r.log, configHash: r.configHash}
}

// errForeign marks a checkpoint made with another configuration: a valid
// file of another run copied into checkpoints/, which must not be resumed.
var errForeign = errors.New("made with another configuration")

// read decodes the checkpoint at path and checks that this run made it.
func (c checkpointer) read(path string) (*model.Checkpoint, error) {
	ck, err := model.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if got := ck.Meta["config_sha256"]; got != c.configHash {
		return nil, fmt.Errorf("%s: %w (config_sha256 %.12s…, this run's %.12s…)", path, errForeign, got, c.configHash)
	}
	return ck, nil
}

// keepCheckpoints is how many numbered checkpoints of a stage are kept.
const keepCheckpoints = 2

// write saves ck as the numbered checkpoint of its step, or under name (a
// "final" or "best" checkpoint), and drops numbered ones beyond the last two.
func (c checkpointer) write(ck *model.Checkpoint, name string) error {
	path := c.dir.checkpointPath(c.stage, int(ck.Step))
	if name != "" {
		path = c.dir.path("checkpoints", c.stage+"-"+name+".ckpt")
	}
	if err := atomicfile.Write(path, ck.Encode); err != nil {
		return err
	}
	all := c.dir.checkpoints(c.stage)
	for _, old := range all[min(keepCheckpoints, len(all)):] {
		os.Remove(old)
	}
	c.log.Info().Str("file", path).Int64("step", ck.Step).Msg("checkpoint written")
	return nil
}

// latest returns the newest usable numbered checkpoint of the stage, or nil.
// A damaged one, or one of another run, is skipped with a warning: the
// previous one is used.
func (c checkpointer) latest() *model.Checkpoint {
	for _, path := range c.dir.checkpoints(c.stage) {
		ck, err := c.read(path)
		if err != nil {
			c.log.Warn().Err(err).Str("file", path).Msg("checkpoint unusable: falling back to the previous one")
			continue
		}
		return ck
	}
	return nil
}

// newCheckpoint captures the stage: the trained networks with their moments,
// then the extra networks (saved without).
func newCheckpoint(r *runner, stage string, p progress, nets []trained, extra ...model.NetState) *model.Checkpoint {
	ck := &model.Checkpoint{Arch: r.cfg.Model, Stage: stage, Step: int64(p.Step), Progress: &p,
		Meta: map[string]string{"transform": r.cfg.Data.Transform.String(), "config_sha256": r.configHash}}
	for _, t := range nets {
		ck.Nets = append(ck.Nets, model.Capture(t.net, t.opt))
	}
	ck.Nets = append(ck.Nets, extra...)
	return ck
}

// restore loads the trained networks and the progress from ck (on rank 0).
func restore(ck *model.Checkpoint, arch model.Arch, nets []trained) (progress, error) {
	var p progress
	if !ck.Arch.Equal(arch) {
		return p, configErrorf("checkpoint of stage %s, step %d was made for architecture %+v, the configuration asks for %+v", ck.Stage, ck.Step, ck.Arch, arch)
	}
	if ck.Progress == nil {
		return p, fmt.Errorf("checkpoint of stage %s, step %d has no progress header (one stripped for shipping?): it cannot be resumed", ck.Stage, ck.Step)
	}
	p = *ck.Progress
	for _, t := range nets {
		ns, err := ck.Net(t.net.Name)
		if err != nil {
			return p, err
		}
		if err := ns.Restore(t.net, t.opt); err != nil {
			return p, err
		}
	}
	return p, nil
}

// broadcastNets copies rank 0's parameters, state and optimizer moments to
// every rank, so all ranks start (and resume) from the same point.
func broadcastNets(comm parallel.Comm, nets []trained) error {
	for _, t := range nets {
		bufs := [][]float32{t.net.Params, t.net.State}
		if t.opt != nil {
			bufs = append(bufs, t.opt.M, t.opt.V)
		}
		for _, b := range bufs {
			if err := comm.Broadcast(b, 0); err != nil {
				return err
			}
		}
		if t.opt != nil {
			step := []float64{float64(t.opt.Step)}
			if err := parallel.Broadcast64(comm, step, 0); err != nil {
				return err
			}
			t.opt.Step = int(step[0])
		}
	}
	return nil
}

// stageNets names the networks a stage trains: the ones its weights_sha256
// covers.
var stageNets = map[string][]string{stageGAN: {"G", "D"}, stageAE: {"E"}}

// weightsSHA256 is the SHA-256 of the parameter bytes (little-endian float32)
// of the networks, in order: the fingerprint of a stage's result that runs
// compare (and `cosmogan ckpt info` prints).
func weightsSHA256(params ...[]float32) string {
	h := sha256.New()
	for _, p := range params {
		writeFloatBits(h, p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CheckpointInfo describes a checkpoint file, as `cosmogan ckpt info` prints it.
type CheckpointInfo struct {
	File          string  `json:"file"`
	Stage         string  `json:"stage"`
	Step          int64   `json:"step"`
	WorldSize     int     `json:"world_size"`
	WeightsSHA256 string  `json:"weights_sha256"` // of the networks the stage trains
	Best          float64 `json:"best,omitempty"` // best evaluation so far (lower is better)
	ConfigSHA256  string  `json:"config_sha256"`
}

// NewestCheckpoint describes the most recently written checkpoint of a run
// directory.
func NewestCheckpoint(dir string) (CheckpointInfo, error) {
	paths, _ := filepath.Glob(runDir(dir).path("checkpoints", "*.ckpt"))
	var newest string
	var when time.Time
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.ModTime().After(when) {
			newest, when = p, st.ModTime()
		}
	}
	if newest == "" {
		return CheckpointInfo{}, configErrorf("%s: no checkpoint (is it a run directory?)", runDir(dir).path("checkpoints"))
	}
	ck, err := model.ReadCheckpoint(newest)
	if err != nil {
		return CheckpointInfo{}, err
	}
	var params [][]float32
	for _, name := range stageNets[ck.Stage] {
		ns, err := ck.Net(name)
		if err != nil {
			return CheckpointInfo{}, fmt.Errorf("%s: %w", newest, err)
		}
		params = append(params, ns.Params)
	}
	info := CheckpointInfo{File: newest, Stage: ck.Stage, Step: ck.Step,
		WeightsSHA256: weightsSHA256(params...), ConfigSHA256: ck.Meta["config_sha256"]}
	if p := ck.Progress; p != nil { // nil in a checkpoint stripped for shipping
		info.WorldSize = p.WorldSize
		if p.Best != math.MaxFloat64 {
			info.Best = p.Best
		}
	}
	return info, nil
}

// crc is a cheap fingerprint of the parameters and state, for the periodic
// comparison across ranks.
func crc(nets []trained) uint32 {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, t := range nets {
		writeFloatBits(h, t.net.Params)
		writeFloatBits(h, t.net.State)
	}
	return h.Sum32()
}

func writeFloatBits(w interface{ Write([]byte) (int, error) }, s []float32) {
	var buf [4096]byte
	for len(s) > 0 {
		n := min(len(s), len(buf)/4)
		for i, v := range s[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		w.Write(buf[:4*n])
		s = s[n:]
	}
}

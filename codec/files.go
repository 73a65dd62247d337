package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
	"gorgonia.org/tensor"
)

// aeStage is the stage name of the daemon's autoencoder checkpoints.
const aeStage = "ae"

// readAE reads an autoencoder checkpoint and returns it with its encoder
// and generator. Every failure is the file's: it wraps data.ErrBadInput.
func readAE(path string) (ck *model.Checkpoint, e, g *model.NetState, err error) {
	if ck, err = readCheckpoint(path); err != nil {
		return nil, nil, nil, err
	}
	e, g, err = aeNets(path, ck)
	return ck, e, g, err
}

// aeNets returns the encoder and generator of ck, read from path, refusing
// a checkpoint of another stage or without them (data.ErrBadInput).
func aeNets(path string, ck *model.Checkpoint) (e, g *model.NetState, err error) {
	bad := func(err error) error { return fmt.Errorf("%s: %w: %w", path, err, data.ErrBadInput) }
	if ck.Stage != aeStage {
		return nil, nil, bad(fmt.Errorf("a checkpoint of the %q stage: want an autoencoder checkpoint, RUN_DIR/checkpoints/ae-final.ckpt (or one made from it by cosmogan ckpt strip)", ck.Stage))
	}
	if e, err = ck.Net("E"); err != nil {
		return nil, nil, bad(err)
	}
	if g, err = ck.Net("G"); err != nil {
		return nil, nil, bad(fmt.Errorf("%w: the numbered checkpoints of the AE stage hold only the encoder in training; use RUN_DIR/checkpoints/ae-final.ckpt, written when the stage ends", err))
	}
	return e, g, nil
}

// readCheckpoint decodes the checkpoint at path; every failure is the
// given file's (data.ErrBadInput).
func readCheckpoint(path string) (*model.Checkpoint, error) {
	ck, err := model.ReadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w: %w", err, data.ErrBadInput)
	}
	return ck, nil
}

// Load reads the encoder and generator of an autoencoder checkpoint: the
// ae-final.ckpt of a run, or one stripped from it (Strip). Its work runs on
// threads worker threads (all cores for 0). A checkpoint that is missing,
// damaged, of another stage or without E and G is refused with an error
// wrapping data.ErrBadInput.
func Load(path string, threads int) (*Model, error) {
	ck, es, gs, err := readAE(path)
	if err != nil {
		return nil, err
	}
	m := &Model{Path: path, Arch: ck.Arch}
	if m.Transform, err = data.ParseTransform(ck.Meta["transform"]); err != nil {
		return nil, fmt.Errorf("%s: the transform of the training fields: %w: %w", path, err, data.ErrBadInput)
	}
	for _, n := range []struct {
		net   **model.Net
		build func(model.Arch) (*model.Net, error)
		state *model.NetState
	}{{&m.E, model.NewEncoder, es}, {&m.G, model.NewGenerator, gs}} {
		if *n.net, err = n.build(ck.Arch); err == nil {
			err = n.state.Restore(*n.net, nil)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", path, err, data.ErrBadInput)
		}
	}
	m.team = kernels.NewTeam(threads)
	m.ws = model.NewWorkspace(m.team)
	return m, nil
}

// Strip writes to out the checkpoint in keeping only what inference needs,
// without optimizer moments, with the architecture and metadata: the encoder
// and the generator of an autoencoder checkpoint (ae-final.ckpt without the
// discriminator it also holds), or the generator of a GAN checkpoint (what
// cosmogan generate loads): the files to ship a model in.
func Strip(in, out string) error {
	ck, err := readCheckpoint(in)
	if err != nil {
		return err
	}
	var keep []*model.NetState
	if ck.Stage == aeStage {
		e, g, err := aeNets(in, ck)
		if err != nil {
			return err
		}
		keep = []*model.NetState{e, g}
	} else {
		g, err := ck.Generator()
		if err != nil {
			return fmt.Errorf("%s: %w: want a checkpoint holding a generator or an autoencoder: %w", in, err, data.ErrBadInput)
		}
		// The generator to sample from (G's moving average, if training kept
		// one) is the stripped checkpoint's G.
		sampler := *g
		sampler.Name = "G"
		keep = []*model.NetState{&sampler}
	}
	if err := checkOutput(out); err != nil {
		return err
	}
	small := &model.Checkpoint{Arch: ck.Arch, Stage: ck.Stage, Step: ck.Step, Meta: ck.Meta}
	for _, n := range keep {
		small.Nets = append(small.Nets, model.NetState{Name: n.Name, Params: n.Params, State: n.State})
	}
	return atomicfile.Write(out, small.Encode)
}

// ReadFields reads fields from an .npy of shape (n, N, N) or (n, N, N, N),
// float32 or float64 (rounded to float32).
func ReadFields(path string) (Fields, error) {
	t, err := data.ReadNPY(path)
	if err != nil {
		return Fields{}, fmt.Errorf("%w: %w", err, data.ErrBadInput)
	}
	s := t.Shape()
	if (len(s) != 3 && len(s) != 4) || s[1] != s[len(s)-1] || s[1] != s[2] {
		return Fields{}, fmt.Errorf("%s: shape %v: want (n, N, N) images or (n, N, N, N) cubes: %w", path, tuple(s), data.ErrBadInput)
	}
	return Fields{Dim: len(s) - 1, Side: s[1], Data: t.Data().([]float32)}, nil
}

// WriteFields writes fields as an .npy of shape (n, N, N) or (n, N, N, N),
// atomically.
func WriteFields(path string, f Fields) error {
	return data.WriteNPY(path, tensor.New(tensor.WithShape(f.shape()...), tensor.WithBacking(f.Data)))
}

// tilingFormat marks a latent file's tiling sidecar, so that a .meta.json of
// another kind beside it (a provenance record) is never taken for one.
const tilingFormat = "cosmogan latent tiling v1"

// tilingFile is the JSON of a tiling sidecar.
type tilingFile struct {
	Format string `json:"format"`
	Note   string `json:"note"`
	Latent int    `json:"latent"` // width of the latent vectors
	Tiling
}

// tilingSidecar returns the tiling sidecar of a latent file, or nil if there
// is none, or what is there is not a tiling.
func tilingSidecar(latentPath string) ([]byte, error) {
	b, err := os.ReadFile(data.MetaPath(latentPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var probe struct{ Format string }
	if json.Unmarshal(b, &probe) != nil || probe.Format != tilingFormat {
		return nil, nil // some other record
	}
	return b, nil
}

// readTiling reads the tiling sidecar of a latent file, or returns nil if
// there is none.
func readTiling(latentPath string) (*Tiling, error) {
	b, err := tilingSidecar(latentPath)
	if b == nil || err != nil {
		return nil, err
	}
	var tf tilingFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", data.MetaPath(latentPath), err, data.ErrBadInput)
	}
	return &tf.Tiling, nil
}

// ReadLatent reads latent vectors from an .npy of shape (n, latent), float32
// or float64, with the tiling in the LATENT.meta.json beside it if there is
// one (data.MetaPath). A tiling that does not match the vectors is refused.
func ReadLatent(path string) (Latent, error) {
	t, err := data.ReadNPY(path)
	if err != nil {
		return Latent{}, fmt.Errorf("%w: %w", err, data.ErrBadInput)
	}
	s := t.Shape()
	if len(s) != 2 {
		return Latent{}, fmt.Errorf("%s: shape %v: want (n, latent): one latent vector per row: %w", path, tuple(s), data.ErrBadInput)
	}
	l := Latent{Width: s[1], Data: t.Data().([]float32)}
	if l.Tiles, err = readTiling(path); err != nil {
		return Latent{}, err
	}
	if l.Tiles != nil {
		if err := l.Tiles.check(l.Rows()); err != nil {
			return Latent{}, fmt.Errorf("%s with %s: %w", path, data.MetaPath(path), err)
		}
	}
	return l, nil
}

// WriteLatent writes the latent vectors to path as an .npy of shape (n,
// latent), and their tiling, if any, to the LATENT.meta.json beside it; a
// tiling left there by an earlier encoding is removed. Both are written
// atomically.
func WriteLatent(path string, l Latent) error {
	err := data.WriteNPY(path, tensor.New(tensor.WithShape(l.Rows(), l.Width), tensor.WithBacking(l.Data)))
	if err != nil {
		return err
	}
	meta := data.MetaPath(path)
	if l.Tiles == nil {
		if old, err := tilingSidecar(path); old != nil || err != nil {
			return errors.Join(err, os.Remove(meta))
		}
		return nil
	}
	b, err := json.MarshalIndent(tilingFile{Format: tilingFormat, Latent: l.Width, Tiling: *l.Tiles,
		Note: "row i of " + filepath.Base(path) + " is the latent vector of the tile of side `tile` at `origin` (index of its first value, axis after axis) " +
			"of field `field` of the encoded file; cosmogan decode reassembles the fields from it"}, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(meta, append(b, '\n'))
}

// checkOutput refuses an output path whose folder does not exist, before any
// work is done.
func checkOutput(path string) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("output %s: folder %s does not exist: %w", path, dir, data.ErrBadInput)
	}
	return nil
}

// EncodeFile encodes the fields of the .npy in with the autoencoder
// checkpoint ckpt and writes their latent vectors to out (and the tiling
// beside it, see WriteLatent). Nothing is written unless every input is
// valid.
func EncodeFile(ckpt, in, out string, threads int, opt Options) error {
	return convertFile(ckpt, in, out, threads, opt, ReadFields, (*Model).Encode, WriteLatent)
}

// DecodeFile decodes the latent vectors of the .npy in (with the tiling
// beside it, if any) with the autoencoder checkpoint ckpt and writes the
// fields to out.
func DecodeFile(ckpt, in, out string, threads int, opt Options) error {
	return convertFile(ckpt, in, out, threads, opt, ReadLatent, (*Model).Decode, WriteFields)
}

// ReconstructFile encodes and decodes the fields of the .npy in with the
// autoencoder checkpoint ckpt and writes the reconstructions to out, in the
// same shape and space.
func ReconstructFile(ckpt, in, out string, threads int, opt Options) error {
	return convertFile(ckpt, in, out, threads, opt, ReadFields, (*Model).Reconstruct, WriteFields)
}

// convertFile checks the output folder, loads the checkpoint, reads in,
// converts it with the model and writes the result to out.
func convertFile[I, O any](ckpt, in, out string, threads int, opt Options,
	read func(string) (I, error), convert func(*Model, I, Options) (O, error), write func(string, O) error) error {
	if err := checkOutput(out); err != nil {
		return err
	}
	m, err := Load(ckpt, threads)
	if err != nil {
		return err
	}
	defer m.Close()
	x, err := read(in)
	if err != nil {
		return err
	}
	y, err := convert(m, x, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return write(out, y)
}

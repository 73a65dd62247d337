package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/model"
)

// writeCodecCheckpoint writes an untrained checkpoint of arch for stage
// holding the named networks ("E-best" is a copy of E), as the daemon lays
// them out, and returns its path.
func writeCodecCheckpoint(t *testing.T, dir, name string, arch model.Arch, stage string, nets ...string) string {
	t.Helper()
	gan, err := model.NewGAN(arch, model.DefaultAdam(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := model.NewEncoder(arch)
	if err != nil {
		t.Fatal(err)
	}
	ck := &model.Checkpoint{Arch: arch, Stage: stage, Step: 10, Meta: map[string]string{"transform": "eq1"}}
	for _, n := range nets {
		s := model.Capture(map[string]*model.Net{"E": e, "E-best": e, "G": gan.G, "D": gan.D}[n], nil)
		s.Name = n
		ck.Nets = append(ck.Nets, s)
	}
	path := filepath.Join(dir, name)
	if err := atomicfile.Write(path, ck.Encode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCodecRefusals checks every input encode, decode, reconstruct and ckpt
// strip refuse: exit status 2, a message naming the file at fault and what
// was expected, and nothing written.
func TestCodecRefusals(t *testing.T) {
	dir := t.TempDir()
	arch2 := model.Arch{Dim: 2, Size: 16, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}}
	arch3 := model.Arch{Dim: 3, Size: 8, Latent: 6, Kernel: 4, GFilters: []int{4, 1}, DFilters: []int{2, 4}}
	ae := writeCodecCheckpoint(t, dir, "ae-final.ckpt", arch2, "ae", "E", "G", "D")
	ae3 := writeCodecCheckpoint(t, dir, "ae3-final.ckpt", arch3, "ae", "E", "G", "D")
	numbered := writeCodecCheckpoint(t, dir, "ae-000000010.ckpt", arch2, "ae", "E", "E-best")
	gan := writeCodecCheckpoint(t, dir, "gan-final.ckpt", arch2, "gan", "G", "D")
	corrupt := filepath.Join(dir, "corrupt.ckpt")
	b, _ := os.ReadFile(ae)
	b[len(b)/2] ^= 1
	os.WriteFile(corrupt, b, 0o644)

	fields := func(name string, shape []int, edit func([]float32)) string {
		p := filepath.Join(dir, name)
		writeSet(t, p, shape, 1, data.None, edit)
		return p
	}
	good := fields("good.npy", []int{2, 16, 16}, nil)
	big := fields("big.npy", []int{2, 32, 32}, nil)
	odd := fields("odd.npy", []int{1, 24, 24}, nil)
	flat := fields("flat.npy", []int{3, 16}, nil)
	nan := fields("nan.npy", []int{2, 16, 16}, func(v []float32) { v[300] = float32(math.NaN()) })
	inf := fields("inf.npy", []int{2, 16, 16}, func(v []float32) { v[7] = float32(math.Inf(1)) })
	negative := fields("negative.npy", []int{2, 16, 16}, func(v []float32) { v[5] = -0.5 })
	wide := fields("wide.npy", []int{4, 9}, nil)
	nanLatent := fields("nanlatent.npy", []int{4, 8}, func(v []float32) { v[3] = float32(math.NaN()) })
	// A tiled latent file whose rows no longer match its tiling.
	tiled := filepath.Join(dir, "tiled.npy")
	if st := mainStatus([]string{"encode", "--checkpoint", ae, "--in", big, "--out", tiled, "--tile"}, &bytes.Buffer{}, &bytes.Buffer{}); st != 0 {
		t.Fatalf("encode --tile: status %d", st)
	}
	fields("tiled.npy", []int{7, 8}, nil)

	cases := []struct {
		args []string
		file string // the file the message must name
		msg  string
	}{
		{[]string{"encode", "--checkpoint", ae, "--in", big}, big, "side 32, the networks of"},
		{[]string{"encode", "--checkpoint", ae, "--in", odd, "--tile"}, odd, "not a multiple of the network's side 16"},
		{[]string{"encode", "--checkpoint", ae3, "--in", good}, good, "take 3D fields"},
		{[]string{"encode", "--checkpoint", ae, "--in", flat}, flat, "want (n, N, N) images"},
		{[]string{"encode", "--checkpoint", gan, "--in", good}, gan, `"gan" stage: want an autoencoder checkpoint`},
		{[]string{"encode", "--checkpoint", numbered, "--in", good}, numbered, "use RUN_DIR/checkpoints/ae-final.ckpt"},
		{[]string{"decode", "--checkpoint", numbered, "--in", wide}, numbered, "holds no network G"},
		{[]string{"reconstruct", "--checkpoint", gan, "--in", good}, gan, "want an autoencoder checkpoint"},
		{[]string{"encode", "--checkpoint", corrupt, "--in", good}, corrupt, "corrupted checkpoint"},
		{[]string{"encode", "--checkpoint", filepath.Join(dir, "none.ckpt"), "--in", good}, "none.ckpt", "no such file"},
		{[]string{"encode", "--checkpoint", ae, "--in", nan}, nan, "field 1 at index (2, 12): value NaN: want finite values"},
		{[]string{"reconstruct", "--checkpoint", ae, "--in", inf, "--space", "transformed"}, inf, "value +Inf"},
		{[]string{"encode", "--checkpoint", ae, "--in", negative}, negative, "value -0.5: want a density ≥ 0"},
		{[]string{"decode", "--checkpoint", ae, "--in", wide}, wide, "latent vectors of width 9, the networks of"},
		{[]string{"decode", "--checkpoint", ae, "--in", nanLatent}, nanLatent, "latent vector 0, entry 3: value NaN"},
		{[]string{"decode", "--checkpoint", ae, "--in", tiled}, data.MetaPath(tiled), "8 tiles for 7 latent vectors"},
		{[]string{"decode", "--checkpoint", ae, "--in", good}, good, "want (n, latent)"},
		{[]string{"encode", "--checkpoint", ae, "--in", good, "--space", "log"}, "--space", `"log": want density or transformed`},
		{[]string{"ckpt", "strip", "--in", numbered}, numbered, "use RUN_DIR/checkpoints/ae-final.ckpt"},
		{[]string{"ckpt", "strip", "--in", corrupt}, corrupt, "checksum"},
	}
	for _, tc := range cases {
		outDir := t.TempDir()
		args := append(tc.args, "--out", filepath.Join(outDir, "out.npy"))
		var stdout, stderr bytes.Buffer
		if got := mainStatus(args, &stdout, &stderr); got != 2 {
			t.Errorf("cosmogan %s: status %d, want 2 (stderr: %s)", strings.Join(args, " "), got, stderr.String())
		}
		for _, want := range []string{tc.file, tc.msg} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("cosmogan %s: stderr %q does not mention %q", strings.Join(args, " "), stderr.String(), want)
			}
		}
		if left, _ := os.ReadDir(outDir); len(left) > 0 {
			t.Errorf("cosmogan %s: left %s behind", strings.Join(args, " "), left[0].Name())
		}
	}
	// An output folder that does not exist is refused before any work.
	var stderr bytes.Buffer
	missing := filepath.Join(dir, "no", "out.npy")
	if got := mainStatus([]string{"encode", "--checkpoint", ae, "--in", good, "--out", missing}, &bytes.Buffer{}, &stderr); got != 2 || !strings.Contains(stderr.String(), missing) {
		t.Errorf("encode into a missing folder: status %d, stderr %q; want 2 naming %s", got, stderr.String(), missing)
	}
}

// TestCodecCommands runs encode, decode, reconstruct and ckpt strip on a
// tiled input: the decoded and reconstructed fields have the input's shape.
func TestCodecCommands(t *testing.T) {
	dir := t.TempDir()
	arch := model.Arch{Dim: 2, Size: 16, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}}
	full := writeCodecCheckpoint(t, dir, "ae-final.ckpt", arch, "ae", "E", "G", "D")
	in := filepath.Join(dir, "in.npy")
	writeSet(t, in, []int{3, 32, 32}, 2, data.None, nil)
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"ckpt", "strip", "--in", full, "--out", p("ae.ckpt")},
		{"encode", "--checkpoint", p("ae.ckpt"), "--in", in, "--out", p("z.npy"), "--tile", "--threads", "1"},
		{"decode", "--checkpoint", p("ae.ckpt"), "--in", p("z.npy"), "--out", p("dec.npy")},
		{"reconstruct", "--checkpoint", full, "--in", in, "--out", p("rec.npy"), "--tile"},
	} {
		var stdout, stderr bytes.Buffer
		if got := mainStatus(args, &stdout, &stderr); got != 0 {
			t.Fatalf("cosmogan %s: status %d (stderr: %s)", strings.Join(args, " "), got, stderr.String())
		}
	}
	z, err := data.ReadNPY(p("z.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if s := z.Shape(); len(s) != 2 || s[0] != 12 || s[1] != 8 {
		t.Errorf("latent shape %v, want (12, 8): 4 tiles of 3 fields", s)
	}
	dec, err := data.ReadNPY(p("dec.npy"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := data.ReadNPY(p("rec.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Shape().Eq(rec.Shape()) || dec.Shape()[0] != 3 || dec.Shape()[1] != 32 {
		t.Errorf("decoded shape %v, reconstructed %v, want (3, 32, 32)", dec.Shape(), rec.Shape())
	}
	if !slices.Equal(dec.Data().([]float32), rec.Data().([]float32)) {
		t.Error("decode of encode differs from reconstruct")
	}
}

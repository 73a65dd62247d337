package main

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/model"
)

// TestShippedModelsLoad runs the shipped 2D model as its README shows:
// generate from models/2d/gan.ckpt, then reconstruct those samples with
// models/2d/ae.ckpt. A change to the layers or the checkpoint format that
// the shipped files no longer fit fails here, not in a user's hands.
func TestShippedModelsLoad(t *testing.T) {
	dir := t.TempDir()
	gen, rec := filepath.Join(dir, "maps.npy"), filepath.Join(dir, "rec.npy")
	for _, args := range [][]string{
		{"generate", "--checkpoint", "../../models/2d/gan.ckpt", "--n", "3", "--out", gen},
		{"reconstruct", "--checkpoint", "../../models/2d/ae.ckpt", "--in", gen, "--space", "transformed", "--out", rec},
	} {
		var stdout, stderr bytes.Buffer
		if st := mainStatus(args, &stdout, &stderr); st != 0 {
			t.Fatalf("cosmogan %v: status %d: %s", args, st, stderr.String())
		}
	}
	out, err := data.ReadNPY(rec)
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Shape(); len(s) != 3 || s[0] != 3 || s[1] != 64 || s[2] != 64 {
		t.Errorf("reconstructed shape %v, want (3, 64, 64)", s)
	}
}

// TestShippedModelIsReproducible checks that the command the README gives
// to make the shipped model again trains what it was trained with:
// configs/fidelity-2d.toml equals models/2d/config.toml in every key but the
// thread count and the run directory (which do not change the result), and
// both checkpoints hold networks of that architecture.
func TestShippedModelIsReproducible(t *testing.T) {
	shipped, err := daemon.LoadConfig("../../models/2d/config.toml")
	if err != nil {
		t.Fatal(err)
	}
	recipe, err := daemon.LoadConfig("../../configs/fidelity-2d.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*daemon.Config{&shipped, &recipe} {
		c.Threads, c.RunDir = 0, ""
	}
	if !reflect.DeepEqual(shipped, recipe) {
		t.Errorf("configs/fidelity-2d.toml is not what models/2d was trained with:\n%+v\n%+v", recipe, shipped)
	}
	for _, f := range []string{"gan.ckpt", "ae.ckpt"} {
		ck, err := model.ReadCheckpoint(filepath.Join("../../models/2d", f))
		if err != nil {
			t.Fatal(err)
		}
		if !ck.Arch.Equal(shipped.Model) {
			t.Errorf("models/2d/%s holds architecture %+v, its config.toml says %+v", f, ck.Arch, shipped.Model)
		}
	}
}

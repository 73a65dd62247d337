package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/model"
)

// writeCheckpoint encodes ck to dir/name and returns the path.
func writeCheckpoint(t *testing.T, dir, name string, ck *model.Checkpoint) string {
	t.Helper()
	var b bytes.Buffer
	if err := ck.Encode(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSizeAndKindLimits: a file of the wrong kind, or sizes whose memory
// the machine cannot hold, are usage errors (status 2) naming the file or
// the flags, what was expected and the memory estimate against the budget,
// before anything is allocated or written. The machine has 1 GiB here.
func TestSizeAndKindLimits(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	os.WriteFile(p("meminfo"), []byte("MemFree:  1 kB\nMemTotal:        1048576 kB\n"), 0o644)
	old := meminfo
	meminfo = p("meminfo")
	defer func() { meminfo = old }()

	arch := model.Arch{Dim: 2, Size: 16, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}}
	g, err := model.NewGenerator(arch)
	if err != nil {
		t.Fatal(err)
	}
	gan := writeCheckpoint(t, dir, "gan.ckpt", &model.Checkpoint{Arch: arch, Stage: "gan", Nets: []model.NetState{model.Capture(g, nil)}})
	ae := writeCheckpoint(t, dir, "ae.ckpt", &model.Checkpoint{Arch: arch, Stage: "ae", Nets: []model.NetState{{Name: "E", Params: []float32{1}}}})
	os.WriteFile(p("text.ckpt"), []byte("not a checkpoint"), 0o644)
	snapBytes, _ := gadget1([]float32{1, 1, 1})
	os.WriteFile(p("snap"), snapBytes, 0o644)
	out := p("out.npy")
	const budget = "more than half of this machine's 1 GiB (MemTotal in " // then the file
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"generate", "--checkpoint", p("text.ckpt")}, "--checkpoint " + p("text.ckpt") + ": corrupted checkpoint: not a cosmogan checkpoint (bad magic or too short): want a checkpoint holding a generator G"},
		{[]string{"generate", "--checkpoint", ae}, `ae.ckpt: a checkpoint of stage "ae" holding networks [E]: want a checkpoint holding a generator G`},
		{[]string{"generate", "--checkpoint", dir}, dir + ": not a regular file: want a checkpoint"},
		{[]string{"generate", "--checkpoint", p("missing.ckpt")}, "missing.ckpt: no such file"},
		{[]string{"generate", "--checkpoint", gan, "--n", "10000000"}, "--n 10000000: 10000000 samples of 16^2 float32 pixels: needs about 9.83 GiB of memory, " + budget},
		{[]string{"prepare", "--snapshot", p("snap"), "--grid", "3000000"}, "--grid 3000000: a 3000000^3 float32 grid: needs about 93.7 EiB of memory, " + budget},
		{[]string{"simulate", "--dim", "3", "--particles", "1000"}, "--dim 3 --particles 1000 --mesh 2000 --grid 1000: one simulation (particles 74.5 GiB, mesh 238 GiB, density grid 3.73 GiB): needs about 317 GiB"},
		{[]string{"simulate", "--dim", "2", "--mesh", "100000"}, "--mesh 100000 --grid 256: one simulation (particles 3.5 MiB, mesh 298 GiB"},
		{[]string{"simulate", "--dim", "2", "--grid", "100000"}, "density grid 37.3 GiB): needs about 37.3 GiB of memory, " + budget},
		{[]string{"simulate", "--n", "10001"}, "--n 10001: want at most 10000 simulations (files are numbered sim_0000 to sim_9999)"},
	} {
		args := append(tc.args, "--out", out)
		var stdout, stderr bytes.Buffer
		if st := mainStatus(args, &stdout, &stderr); st != 2 || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("cosmogan %s: status %d, stderr %q; want 2 and %q", strings.Join(args, " "), st, stderr.String(), tc.msg)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("cosmogan %s wrote %s", strings.Join(args, " "), out)
		}
	}

	// Within the budget, generate runs.
	var stderr bytes.Buffer
	if st := mainStatus([]string{"generate", "--checkpoint", gan, "--n", "3", "--out", out, "--threads", "1"}, &stderr, &stderr); st != 0 {
		t.Fatalf("generate --n 3: status %d: %s", st, stderr.String())
	}

	// Without MemTotal, a fixed budget, said to be one.
	meminfo = p("missing")
	stderr.Reset()
	st := mainStatus([]string{"generate", "--checkpoint", gan, "--n", "10000000", "--out", out}, &stderr, &stderr)
	if want := "more than the 8 GiB assumed when " + p("missing") + " gives no MemTotal"; st != 2 || !strings.Contains(stderr.String(), want) {
		t.Errorf("without meminfo: status %d, stderr %q; want 2 and %q", st, stderr.String(), want)
	}
}

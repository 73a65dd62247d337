package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/model"
)

// TestExitStatus checks that usage and configuration mistakes end with status
// 2 and a message naming what is wrong, runtime failures with 1.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badKey := write("badkey.toml", "[gan]\nbatchsize = 4\n")
	zeroBatch := write("zero.toml", "[ae]\nbatch = 0\n")
	badShape := write("shape.toml", "[model]\nsize = 48\n")
	notCkpt := write("x.ckpt", "not a checkpoint")
	cases := []struct {
		args   []string
		status int
		msg    string
	}{
		{[]string{"help"}, 0, ""},
		{[]string{"run", "-h"}, 0, ""},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "--config", badKey}, 2, "gan.batchsize"},
		{[]string{"run", "--config", zeroBatch}, 2, "ae.batch = 0"},
		{[]string{"run", "--config", badShape}, 2, "model.size = 48"},
		{[]string{"run", "--config", filepath.Join(dir, "missing.toml")}, 2, "missing.toml"},
		{[]string{"run", "--bogus"}, 2, "bogus"},
		{[]string{"generate"}, 2, "--checkpoint is required"},
		{[]string{"generate", "--checkpoint", notCkpt, "--out", filepath.Join(dir, "o.npy")}, 2, "x.ckpt: corrupted checkpoint"},
		{[]string{"bench", "step", "--dim", "4"}, 2, "--dim 4"},
		{[]string{"bench", "step", "--batch", "0", "--dim", "3", "--steps", "0"}, 2, "--steps 0"},
		{[]string{"bench"}, 2, "bench step"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		got := mainStatus(tc.args, &stdout, &stderr)
		if got != tc.status {
			t.Errorf("cosmogan %s: status %d, want %d (stderr: %s)", strings.Join(tc.args, " "), got, tc.status, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("cosmogan %s: stderr %q does not mention %q", strings.Join(tc.args, " "), stderr.String(), tc.msg)
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	var out bytes.Buffer
	mainStatus([]string{"help"}, &out, &out)
	for _, c := range commands {
		if !strings.Contains(out.String(), "cosmogan "+c.name) {
			t.Errorf("help does not list %s", c.name)
		}
	}
}

// TestHelpEveryCommand: -h, --help and "help CMD" print the command's usage
// on stdout and exit 0 for every command, whatever flag names it declares
// (simulate's Hubble constant was once -h), and after bench's subcommands.
func TestHelpEveryCommand(t *testing.T) {
	var forms [][]string
	for _, c := range commands {
		forms = append(forms, []string{c.name, "-h"}, []string{c.name, "--help"}, []string{"help", c.name})
	}
	for _, sub := range []string{"step", "kernels", "layers", "gemm", "scaling"} {
		forms = append(forms, []string{"bench", sub, "-h"}, []string{"bench", sub, "--help"})
	}
	for _, args := range forms {
		var stdout, stderr bytes.Buffer
		status := mainStatus(args, &stdout, &stderr)
		name := args[0]
		if name == "help" {
			name = args[1]
		}
		if want := "usage: cosmogan " + name + " "; status != 0 || !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "flags:") {
			t.Errorf("cosmogan %s: status %d, stdout %q, stderr %q; want 0 and %q on stdout",
				strings.Join(args, " "), status, stdout.String(), stderr.String(), want)
		}
	}
}

// TestCommandsWriteToTheirStreams: what a command prints goes to the
// streams mainStatus is given, not to the process's stdout and stderr.
func TestCommandsWriteToTheirStreams(t *testing.T) {
	dir := t.TempDir()
	arch := model.Arch{Dim: 2, Size: 16, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}}
	ck := writeCodecCheckpoint(t, dir, "gan-final.ckpt", arch, "gan", "G", "D")
	var stdout, stderr bytes.Buffer
	out := filepath.Join(dir, "g.npy")
	if status := mainStatus([]string{"generate", "--checkpoint", ck, "--n", "2", "--threads", "1", "--out", out}, &stdout, &stderr); status != 0 {
		t.Fatalf("generate: status %d: %s", status, stderr.String())
	}
	if !strings.Contains(stderr.String(), "wrote 2 samples to "+out) {
		t.Errorf("generate's stderr %q, want its message", stderr.String())
	}
	stdout.Reset()
	args := []string{"bench", "scaling", "--config", "../../configs/tiny.toml", "--steps", "1", "--threads", "1", "--json", "--project-gpus", "8"}
	if status := mainStatus(args, &stdout, &stderr); status != 0 {
		t.Fatalf("bench scaling: status %d: %s", status, stderr.String())
	}
	if n := strings.Count(stdout.String(), "\n"); n != 2 || !strings.Contains(stdout.String(), `"efficiency"`) {
		t.Errorf("bench scaling's stdout %q, want its measurement and projection as JSON lines", stdout.String())
	}
}

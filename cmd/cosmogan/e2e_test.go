package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles cosmogan (with extra build flags) into a temporary
// folder: the end-to-end tests run it as a user would.
func buildBinary(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cosmogan")
	args := append([]string{"build"}, flags...)
	out, err := exec.Command("go", append(args, "-o", bin, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tinyConfig writes a copy of configs/tiny.toml in which the keys of replace
// (every line "key = …" of the file, in whichever table) take new values.
func tinyConfig(t *testing.T, replace map[string]string) string {
	t.Helper()
	b, err := os.ReadFile("../../configs/tiny.toml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	found := map[string]bool{}
	for i, l := range lines {
		k, _, ok := strings.Cut(l, "=")
		if v, want := replace[strings.TrimSpace(k)]; ok && want {
			lines[i] = strings.TrimSpace(k) + " = " + v
			found[strings.TrimSpace(k)] = true
		}
	}
	for k := range replace {
		if !found[k] {
			t.Fatalf("configs/tiny.toml has no key %s to replace", k)
		}
	}
	path := filepath.Join(t.TempDir(), "tiny.toml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// finalWeights reads the weights_sha256 of each stage from a finished run.
func finalWeights(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Stage   string            `json:"stage"`
		Weights map[string]string `json:"weights_sha256"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Stage != "done" || st.Weights["gan"] == "" || st.Weights["ae"] == "" {
		t.Fatalf("%s: state %+v, want a finished run with the weights of both stages", dir, st)
	}
	return st.Weights
}

// TestKilledRunResumesExactly kills a real run with SIGKILL at random
// instants, several times, restarts it each time, and checks that it ends
// with the weights of an uninterrupted run.
func TestKilledRunResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary many times")
	}
	bin := buildBinary(t)
	cfg := tinyConfig(t, map[string]string{"steps": "60", "checkpoint_every": "7", "eval_every": "10", "status_addr": `""`})
	whole := filepath.Join(t.TempDir(), "whole")
	start := time.Now()
	if out, err := exec.Command(bin, "run", "--config", cfg, "--run-dir", whole).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	took := time.Since(start) // kill instants scale with it, so a loaded machine still sees kills in every stage
	want := finalWeights(t, whole)

	killed := filepath.Join(t.TempDir(), "killed")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	run := func(killAfter time.Duration) (wasKilled bool) {
		cmd := exec.Command(bin, "run", "--config", cfg, "--run-dir", killed)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var timer <-chan time.Time
		if killAfter > 0 {
			timer = time.After(killAfter)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run of %s: %v\n%s", killed, err, stderr.Bytes())
			}
			return false
		case <-timer:
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return true
		}
	}
	kills := 0
	for attempt := 0; attempt < 12 && kills < 4; attempt++ {
		if run(time.Duration((0.05 + 0.75*rng.Float64()) * float64(took))) {
			kills++
		} else if kills == 0 {
			os.RemoveAll(killed) // finished before the first kill: start again
		} else {
			break
		}
	}
	if kills == 0 {
		t.Fatalf("no run was still going when killed (an uninterrupted run takes %v)", took)
	}
	run(0) // to the end
	got := finalWeights(t, killed)
	for stage, w := range want {
		if got[stage] != w {
			t.Errorf("after %d SIGKILLs, %s weights %s, uninterrupted %s", kills, stage, got[stage], w)
		}
	}
	t.Logf("%d SIGKILLs within an uninterrupted run's %v, then the same weights", kills, took.Round(time.Millisecond))
}

package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// requireCUDAEnv, set to 1, turns the skip for a missing CUDA toolkit into a
// failure: CI installs the toolkit and sets it.
const requireCUDAEnv = "COSMOGAN_REQUIRE_CUDA"

// TestCUDABuildWithoutAGPUSaysSo builds cosmogan with -tags cuda and starts it
// on this machine, which has no GPU: it must stop at once with a message that
// says what is missing and what to use instead, not with gorgonia.org/cu's
// bare error code.
func TestCUDABuildWithoutAGPUSaysSo(t *testing.T) {
	if _, err := os.Stat("/usr/include/cuda.h"); err != nil {
		if os.Getenv(requireCUDAEnv) == "1" {
			t.Fatalf("%s=1 but the CUDA toolkit is missing (%v)", requireCUDAEnv, err)
		}
		t.Skip("no CUDA toolkit (Debian's nvidia-cuda-toolkit) to build with")
	}
	if out, err := exec.Command("nvidia-smi", "-L").Output(); err == nil && strings.Contains(string(out), "GPU") {
		t.Skip("this machine has a GPU: scripts/test-gpu.sh tests the CUDA build here")
	}
	bin := buildBinary(t, "-tags", "cuda")
	out, err := exec.Command(bin, "help").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the CUDA build without a GPU: %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{"built with CUDA (-tags cuda) and needs a usable NVIDIA GPU and driver, but cuInit failed",
		"go build ./cmd/cosmogan"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("its message does not say %q:\n%s", want, out)
		}
	}
}

// TestCPUBuildAskedForCUDASaysSo: the plain binary with device = "cuda" says
// how to build a CUDA one, with the configuration error's exit status.
func TestCPUBuildAskedForCUDASaysSo(t *testing.T) {
	bin := buildBinary(t)
	cfg := tinyConfig(t, map[string]string{"device": `"cuda"`})
	out, err := exec.Command(bin, "run", "--config", cfg, "--run-dir", t.TempDir()+"/run").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), `go build -tags cuda ./cmd/cosmogan`) {
		t.Fatalf("cosmogan run with device = \"cuda\": %v, want exit status 2 and how to build with CUDA\n%s", err, out)
	}
}

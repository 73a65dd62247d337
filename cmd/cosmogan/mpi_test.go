//go:build mpi

package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/model"
)

// mpirun runs the binary on np ranks of a real OpenMPI job.
func mpirun(np int, args ...string) *exec.Cmd {
	return exec.Command("mpirun", append([]string{"--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", strconv.Itoa(np)}, args...)...)
}

func readParams(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ck, err := model.DecodeCheckpoint(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, n := range ck.Nets {
		out[n.Name] = n.Params
	}
	return out
}

// TestMPITwoRanks trains configs/tiny.toml with synchronized batch norm on two
// real OpenMPI ranks and on one: both ranks end with the same weights_sha256,
// and the weights equal the one-rank run's within 1e-5 (relative).
func TestMPITwoRanks(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)")
	}
	bin := buildBinary(t, "-tags", "mpi")
	cfg := tinyConfig(t, map[string]string{"sync_batchnorm": "true", "status_addr": `""`})
	two, one := filepath.Join(t.TempDir(), "two"), filepath.Join(t.TempDir(), "one")
	if out, err := mpirun(2, bin, "run", "--config", cfg, "--run-dir", two).CombinedOutput(); err != nil {
		t.Fatalf("mpirun -np 2: %v\n%s", err, out)
	}
	if out, err := mpirun(1, bin, "run", "--config", cfg, "--run-dir", one).CombinedOutput(); err != nil {
		t.Fatalf("mpirun -np 1: %v\n%s", err, out)
	}
	for _, stage := range []string{"gan", "ae"} {
		a, b := stageWeights(t, two, 0, stage), stageWeights(t, two, 1, stage)
		if a == "" || a != b {
			t.Errorf("%s: weights_sha256 %q on rank 0, %q on rank 1", stage, a, b)
		}
	}
	compareRuns(t, two, one, 1e-5)
}

// compareRuns checks that the final GAN and AE networks of two finished runs
// are equal within tol, relative (in the 2-norm), network by network.
func compareRuns(t *testing.T, got, want string, tol float64) {
	t.Helper()
	for _, ck := range []string{"gan-final.ckpt", "ae-final.ckpt"} {
		pa, pb := readParams(t, filepath.Join(got, "checkpoints", ck)), readParams(t, filepath.Join(want, "checkpoints", ck))
		for name, a := range pa {
			b := pb[name]
			var d2, n2 float64
			for i := range a {
				d := float64(a[i] - b[i])
				d2, n2 = d2+d*d, n2+float64(b[i])*float64(b[i])
			}
			if rel := math.Sqrt(d2 / n2); !(rel < tol) {
				t.Errorf("%s %s: %s differs from %s by %.3g relative, want < %g", ck, name, got, want, rel, tol)
			}
		}
	}
}

func TestMPIBatchMustDivide(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not installed")
	}
	bin := buildBinary(t, "-tags", "mpi")
	cfg := tinyConfig(t, map[string]string{"status_addr": `""`})
	out, err := mpirun(3, bin, "run", "--config", cfg, "--run-dir", filepath.Join(t.TempDir(), "r")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "divide evenly over the 3 ranks") {
		t.Fatalf("batch 8 on 3 ranks: %v\n%s", err, out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("exit status %v, want 2", err)
	}
}

// stageWeights returns the weights_sha256 rank recorded at the end of a
// stage in the run directory dir.
func stageWeights(t *testing.T, dir string, rank int, stage string) string {
	t.Helper()
	ms, err := daemon.ReadMetrics(dir, rank)
	if err != nil {
		t.Fatal(err)
	}
	return ms.Weights(stage)
}

package slurm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCommands puts shell scripts named after Slurm commands first in PATH.
func fakeCommands(t *testing.T, scripts map[string]string) string {
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func TestSubmitFake(t *testing.T) {
	dir := fakeCommands(t, map[string]string{
		"sbatch":   `[ "$1" = --parsable ] || exit 9; cat > "$(dirname "$0")/stdin"; echo "4711;cluster"`,
		"scontrol": `echo "$@" > "$(dirname "$0")/args"`,
	})
	ctx := context.Background()
	id, err := Submit(ctx, "#!/bin/bash\necho hi\n")
	if err != nil || id != "4711" {
		t.Fatalf("Submit: %q, %v", id, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "stdin")); string(b) != "#!/bin/bash\necho hi\n" {
		t.Errorf("sbatch read %q on stdin", b)
	}
	if err := Requeue(ctx, id); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "args")); string(b) != "requeue 4711\n" {
		t.Errorf("scontrol got %q", b)
	}
}

func TestSubmitErrors(t *testing.T) {
	fakeCommands(t, map[string]string{
		"sbatch":   `echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1`,
		"scontrol": `echo "Invalid job id specified" >&2; exit 1`,
	})
	ctx := context.Background()
	if _, err := Submit(ctx, "x"); err == nil || !strings.Contains(err.Error(), "Invalid partition name") ||
		!strings.Contains(err.Error(), "sbatch --parsable") {
		t.Errorf("Submit error %v lacks the command or its stderr", err)
	}
	if err := Requeue(ctx, "12"); err == nil || !strings.Contains(err.Error(), "scontrol requeue 12") ||
		!strings.Contains(err.Error(), "Invalid job id") {
		t.Errorf("Requeue error %v lacks the command or its stderr", err)
	}
	if err := Requeue(ctx, "12; rm -rf /"); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("Requeue accepted a bad id: %v", err)
	}
	fakeCommands(t, map[string]string{"sbatch": `echo "Submitted batch job 5"`})
	if _, err := Submit(ctx, "x"); err == nil || !strings.Contains(err.Error(), "not a job id") {
		t.Errorf("Submit accepted non-parsable output: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := Submit(ctx, "x"); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("Submit without sbatch: %v", err)
	}
}

package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesOrLeavesAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteBytes(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("half of the sec"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the writer's", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("after a failed write the file holds %q, want the previous content", b)
	}
	if err := WriteBytes(path, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Fatalf("file holds %q, want %q", b, "second")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file (no temporary left behind)", len(entries))
	}
}

// TestRemoveStaleTakesOnlyTemporaries leaves a temporary file behind as a
// killed writer would, and checks that RemoveStale removes it and nothing
// else, in subfolders too.
func TestRemoveStaleTakesOnlyTemporaries(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "checkpoints")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(filepath.Join(sub, "gan-best.ckpt"), []byte("kept")); err != nil {
		t.Fatal(err)
	}
	// What CreateTemp makes for Write, left behind by a SIGKILL.
	stale, err := os.CreateTemp(sub, ".gan-best.ckpt.tmp*")
	if err != nil {
		t.Fatal(err)
	}
	stale.Close()
	keep := []string{"gan-best.ckpt", ".hidden", "x.tmp", ".y.tmpfile", ".z.tmp"}
	for _, name := range keep[1:] {
		if err := os.WriteFile(filepath.Join(sub, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != stale.Name() {
		t.Errorf("removed %v, want only %s", removed, stale.Name())
	}
	for _, name := range keep {
		if _, err := os.Stat(filepath.Join(sub, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

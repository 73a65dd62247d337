package sysmem

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTotalFrom(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]int64{
		"MemFree:  1 kB\nMemTotal:        1048576 kB\n": 1 << 30,
		"MemTotal: 12 MB\n":                             0, // not the kB Linux writes
		"nothing here\n":                                0,
	} {
		path := filepath.Join(dir, "meminfo")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := TotalFrom(path); got != want {
			t.Errorf("%q: %d, want %d", content, got, want)
		}
	}
	if got := TotalFrom(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("missing file: %d, want 0", got)
	}
	if Total() <= 0 {
		t.Error("Total() of this machine is not positive")
	}
}

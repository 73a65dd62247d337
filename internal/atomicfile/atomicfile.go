// Package atomicfile writes files so that a reader never sees half of one and a
// crash never destroys the previous version: the content goes to a temporary
// file in the same folder, is synced, and is renamed over the target.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write creates or replaces path with what write produces. If write fails,
// path is left as it was.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	// Sync the folder so the rename itself survives a crash.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// RemoveStale removes the temporary files that Write left in dir and its
// subfolders when its process was killed between creating and renaming one
// (each as large as the file it was replacing), and returns their paths.
// Only call it while no other process writes into dir.
func RemoveStale(dir string) ([]string, error) {
	var removed []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && isTemp(d.Name()) {
			if err := os.Remove(path); err != nil {
				return err
			}
			removed = append(removed, path)
		}
		return nil
	})
	return removed, err
}

// isTemp reports whether name is one of Write's temporary names.
func isTemp(name string) bool {
	_, ok := TempOf(name)
	return ok
}

// TempOf returns the name of the file that name, one of Write's temporary
// names ("." + the target's name + ".tmp" + CreateTemp's random digits),
// was to replace; ok is false for any other name.
func TempOf(name string) (target string, ok bool) {
	i := strings.LastIndex(name, ".tmp")
	if !strings.HasPrefix(name, ".") || i < 1 || len(name) == i+len(".tmp") {
		return "", false
	}
	for _, c := range name[i+len(".tmp"):] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return name[1:i], true
}

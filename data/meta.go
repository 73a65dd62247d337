// Provenance records: every field or particle file the program writes has a
// JSON sidecar saying where it came from, so a dataset can be traced to its
// inputs (by checksum) and the code that made it.

package data

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"gorgonia.org/tensor"
)

// InputFile identifies an input by path, size and SHA-256.
type InputFile struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// HashFile returns the InputFile record of path.
func HashFile(path string) (InputFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return InputFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return InputFile{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return InputFile{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// CodeVersion is the module version and VCS revision the binary was built
// from, as far as the build recorded them.
func CodeVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Path + "@" + bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			v += " " + s.Key + "=" + s.Value
		}
	}
	return v
}

// MetaPath is the provenance sidecar of an output: X.npy → X.meta.json.
func MetaPath(out string) string { return strings.TrimSuffix(out, ".npy") + ".meta.json" }

// WriteArray writes values of the given shape to path as float32 .npy and
// meta (any JSON-encodable value) to MetaPath(path), each atomically. The
// array is written first, so a present sidecar means a complete array.
func WriteArray(path string, shape []int, values []float32, meta any) error {
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("meta of %s: %w", path, err)
	}
	if err := WriteNPY(path, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values))); err != nil {
		return err
	}
	return atomicfile.WriteBytes(MetaPath(path), append(b, '\n'))
}

// Shape is the (N, N) or (N, N, N) shape of the field.
func (f *Field) Shape() []int {
	s := make([]int, f.Dim)
	for i := range s {
		s[i] = f.N
	}
	return s
}

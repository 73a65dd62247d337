package data

import (
	"fmt"
	"os"
	"strings"

	"github.com/cosmogan/cosmogan/hdf5"
)

// OpenSnapshot opens the snapshot path, GADGET-2 (SnapFormat 1 or 2) or HDF5
// (SnapFormat 3: GADGET-3/4, AREPO, SWIFT), told apart by the content of its
// first file, not its name: a file, or the base name of a multi-file
// snapshot (path.0, path.1, … or path.0.hdf5, path.1.hdf5, …; giving the
// first file itself works too), or path.hdf5. types selects particle types
// by bit (0 means dark matter only, 1<<1).
func OpenSnapshot(path string, types uint8) (Particles, error) {
	if types == 0 {
		types = 1 << 1
	}
	first, base := path, ""
	switch {
	case exists(path):
		if strings.HasSuffix(path, ".0.hdf5") {
			base = strings.TrimSuffix(path, ".0.hdf5")
		}
	case exists(path + ".0.hdf5"):
		first, base = path+".0.hdf5", path
	case exists(path + ".hdf5"):
		first = path + ".hdf5"
	case exists(path + ".0"):
		first = path + ".0"
	default:
		return nil, fmt.Errorf("snapshot %s: no such file, nor %[1]s.0, %[1]s.0.hdf5 or %[1]s.hdf5: %w", path, ErrBadInput)
	}
	if isHDF5(first) {
		return openHDF5Snapshot(first, base, types)
	}
	return OpenGadget(path, types)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// isHDF5 reports whether the file path begins with an HDF5 superblock.
func isHDF5(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	return err == nil && hdf5.IsHDF5(f, st.Size())
}

// HDF5 snapshots ("SnapFormat 3"): what GADGET-3/4, AREPO and SWIFT write,
// and the Quijote, CAMELS and IllustrisTNG suites publish. A file holds a
// Header group whose attributes give the particle counts (NumPart_ThisFile,
// NumPart_Total with NumPart_Total_HighWord, one per type), the files of the
// snapshot (NumFilesPerSnapshot), BoxSize (a scalar in GADGET's convention,
// a 3-vector in SWIFT's), Redshift and Time (SWIFT adds Scale-factor), and a
// group PartTypeN per particle type whose Coordinates dataset holds the
// positions, (n, 3) float32 or float64. Units are in Header (GADGET-3,
// AREPO), Parameters (GADGET-4) or Units (SWIFT) when present.

package data

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/cosmogan/cosmogan/hdf5"
)

// HDF5Header is the Header group of one HDF5 snapshot file.
type HDF5Header struct {
	NumPartThisFile []uint64 // particles of each type in this file
	NumPartTotal    []uint64 // in all files: NumPart_Total | NumPart_Total_HighWord << 32
	NumFiles        int      // NumFilesPerSnapshot
	BoxSize         float64
	Redshift        float64
	Time            float64            // GADGET: the scale factor; SWIFT: the time (see ScaleFactor)
	ScaleFactor     float64            // SWIFT's Scale-factor; GADGET's Time
	Units           map[string]float64 // unit attributes found, by name (cgs)
	Convention      string             // "SWIFT" (BoxSize a 3-vector) or "GADGET"
}

// hdf5File is one file of an HDF5 snapshot: its header and the number of
// particles of each type its Coordinates hold.
type hdf5File struct {
	path string
	hdr  HDF5Header
}

// hdf5Err formats an error about an object of a snapshot file.
func hdf5Err(path, object, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s: %w", path, object, fmt.Sprintf(format, args...), ErrBadInput)
}

// openHDF5 opens path and reads its superblock; done closes the file.
func openHDF5(path string) (f *hdf5.File, done func(), err error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w: %w", err, ErrBadInput)
	}
	st, err := r.Stat()
	if err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	if f, err = hdf5.Open(r, st.Size(), path); err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("%w: %w", err, ErrBadInput)
	}
	return f, func() { r.Close() }, nil
}

// readHDF5File reads the header of the snapshot file path and checks the
// Coordinates of every type it has particles of.
func readHDF5File(path string) (*hdf5File, error) {
	f, done, err := openHDF5(path)
	if err != nil {
		return nil, err
	}
	defer done()
	h, err := readHDF5Header(f, path)
	if err != nil {
		return nil, err
	}
	for t, n := range h.NumPartThisFile {
		if n == 0 {
			continue
		}
		if _, err := coordinates(f, path, t, n); err != nil {
			return nil, err
		}
	}
	return &hdf5File{path: path, hdr: h}, nil
}

// coordinates opens PartType<t>/Coordinates and checks that it holds n
// positions of 3 floats.
func coordinates(f *hdf5.File, path string, t int, n uint64) (*hdf5.Dataset, error) {
	name := fmt.Sprintf("PartType%d/Coordinates", t)
	d, err := f.Dataset(name)
	if err != nil {
		return nil, fmt.Errorf("%w (the header's NumPart_ThisFile[%d] is %d): %w", err, t, n, ErrBadInput)
	}
	if len(d.Dims) != 2 || d.Dims[0] != n || d.Dims[1] != 3 || d.Type.Class != hdf5.Float {
		return nil, hdf5Err(path, "/"+name, "dimensions %v of %d-byte %s, want (%d, 3) floats for the header's NumPart_ThisFile[%d]",
			d.Dims, d.Type.Size, map[hdf5.Class]string{hdf5.Integer: "integers", hdf5.Float: "floats"}[d.Type.Class], n, t)
	}
	return d, nil
}

// readHDF5Header reads and checks the Header attributes of a snapshot file.
func readHDF5Header(f *hdf5.File, path string) (HDF5Header, error) {
	h := HDF5Header{Convention: "GADGET", Units: map[string]float64{}}
	a := attrReader{f: f, path: path}
	h.NumPartThisFile = a.counts("NumPart_ThisFile", true)
	h.NumPartTotal = a.counts("NumPart_Total", true)
	if high := a.counts("NumPart_Total_HighWord", false); high != nil {
		if len(high) != len(h.NumPartTotal) {
			a.fail("NumPart_Total_HighWord", "%d values, want one per type as NumPart_Total's %d", len(high), len(h.NumPartTotal))
		}
		for t := range min(len(high), len(h.NumPartTotal)) {
			h.NumPartTotal[t] |= high[t] << 32
		}
	}
	box := a.floats("BoxSize", true)
	h.NumFiles = int(a.scalar("NumFilesPerSnapshot", true, 0))
	h.Redshift = a.scalar("Redshift", false, math.NaN())
	h.Time = a.scalar("Time", false, math.NaN())
	h.ScaleFactor = a.scalar("Scale-factor", false, h.Time)
	if a.err != nil {
		return h, a.err
	}
	switch {
	case len(h.NumPartThisFile) == 0 || len(h.NumPartThisFile) > 8 || len(h.NumPartTotal) != len(h.NumPartThisFile):
		return h, hdf5Err(path, "/Header", "NumPart_ThisFile of %d types and NumPart_Total of %d, want the same number of types, 1 to 8",
			len(h.NumPartThisFile), len(h.NumPartTotal))
	case h.NumFiles < 1:
		return h, hdf5Err(path, "/Header", "NumFilesPerSnapshot %d, want at least 1", h.NumFiles)
	}
	for t, n := range h.NumPartThisFile {
		if n > h.NumPartTotal[t] {
			return h, hdf5Err(path, "/Header", "NumPart_ThisFile[%d] = %d exceeds NumPart_Total[%d] = %d", t, n, t, h.NumPartTotal[t])
		}
	}
	var err error
	if h.BoxSize, h.Convention, err = boxSize(path, box); err != nil {
		return h, err
	}
	h.Units = units(f)
	return h, nil
}

// boxSize is the side of a cubic periodic box given as GADGET does (one
// value) or as SWIFT does (one per axis, all equal here).
func boxSize(path string, box []float64) (float64, string, error) {
	conv := "GADGET"
	if len(box) == 3 {
		conv = "SWIFT"
	} else if len(box) != 1 {
		return 0, "", hdf5Err(path, "/Header", "BoxSize of %d values, want 1 (GADGET) or 3 (SWIFT)", len(box))
	}
	for _, b := range box {
		if b != box[0] || !(b > 0) || math.IsInf(b, 0) {
			return 0, "", hdf5Err(path, "/Header", "BoxSize %v, want a positive finite side of a cubic box", box)
		}
	}
	return box[0], conv, nil
}

// units collects the unit attributes a snapshot has: GADGET-3 and AREPO in
// Header, GADGET-4 in Parameters, SWIFT in Units (one-element arrays).
func units(f *hdf5.File) map[string]float64 {
	u := map[string]float64{}
	for _, c := range []struct{ group, names string }{
		{"Header", "UnitLength_in_cm UnitMass_in_g UnitVelocity_in_cm_per_s"},
		{"Parameters", "UnitLength_in_cm UnitMass_in_g UnitVelocity_in_cm_per_s"},
		{"Units", "Unit length in cgs (U_L)|Unit mass in cgs (U_M)|Unit time in cgs (U_t)"},
	} {
		sep := " "
		if strings.Contains(c.names, "|") {
			sep = "|"
		}
		for _, name := range strings.Split(c.names, sep) {
			if a, err := f.Attr(c.group, name); err == nil && len(a.Float64s()) == 1 {
				u[name] = a.Float64s()[0]
			}
		}
	}
	return u
}

// attrReader reads Header attributes, keeping the first error.
type attrReader struct {
	f    *hdf5.File
	path string
	err  error
}

// get returns attribute name of Header; nil (and no error) when it is
// absent and not required.
func (a *attrReader) get(name string, required bool) *hdf5.Attribute {
	if a.err != nil {
		return nil
	}
	v, err := a.f.Attr("Header", name)
	if errors.Is(err, hdf5.ErrNotFound) && !required {
		return nil
	}
	if err != nil {
		a.err = fmt.Errorf("%w (a GADGET or SWIFT snapshot has Header attributes NumPart_ThisFile, NumPart_Total, NumFilesPerSnapshot, BoxSize): %w", err, ErrBadInput)
	}
	return v
}

func (a *attrReader) fail(name, format string, args ...any) {
	if a.err == nil {
		a.err = hdf5Err(a.path, "/Header", "attribute %q: %s", name, fmt.Sprintf(format, args...))
	}
}

// counts reads an array of particle counts.
func (a *attrReader) counts(name string, required bool) []uint64 {
	v := a.get(name, required)
	if v == nil {
		return nil
	}
	u, err := v.Uint64s()
	if err != nil {
		a.fail(name, "%v", err)
	}
	return u
}

// floats reads an attribute's values as float64.
func (a *attrReader) floats(name string, required bool) []float64 {
	if v := a.get(name, required); v != nil {
		return v.Float64s()
	}
	return nil
}

// scalar reads a one-value attribute; def when it is absent.
func (a *attrReader) scalar(name string, required bool, def float64) float64 {
	v := a.floats(name, required)
	if v == nil && a.err == nil {
		return def
	}
	if len(v) != 1 {
		a.fail(name, "%d values, want one", len(v))
		return def
	}
	return v[0]
}

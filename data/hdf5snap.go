package data

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cosmogan/cosmogan/hdf5"
)

// HDF5Snapshot is an HDF5 snapshot of one or more files, read lazily:
// opening reads the headers and checks the Coordinates datasets.
type HDF5Snapshot struct {
	Header HDF5Header // of the first file
	Types  uint8      // bit t selects particle type t (default 1<<1: dark matter)
	files  []*hdf5File
}

// openHDF5Snapshot opens the HDF5 snapshot whose first file is first; base
// names the other files of a multi-file set ("" when first stands alone).
func openHDF5Snapshot(first, base string, types uint8) (*HDF5Snapshot, error) {
	g, err := readHDF5File(first)
	if err != nil {
		return nil, err
	}
	s := &HDF5Snapshot{Header: g.hdr, Types: types, files: []*hdf5File{g}}
	if nt := len(g.hdr.NumPartThisFile); types>>nt != 0 {
		return nil, hdf5Err(first, "/Header", "particle types %#b selected, but the snapshot has %d types (0 to %d)", types, nt, nt-1)
	}
	nf := g.hdr.NumFiles
	if nf > 1 && base == "" {
		return nil, hdf5Err(first, "/Header", "NumFilesPerSnapshot %d, but the name does not end in .0.hdf5; give the base name of the multi-file snapshot", nf)
	}
	for i := 1; i < nf; i++ {
		g, err := readHDF5File(base + "." + strconv.Itoa(i) + ".hdf5")
		if err != nil {
			return nil, err
		}
		h, h0 := g.hdr, s.Header
		if h.NumFiles != nf || !slices.Equal(h.NumPartTotal, h0.NumPartTotal) || h.BoxSize != h0.BoxSize {
			return nil, hdf5Err(g.path, "/Header", "NumFilesPerSnapshot %d, NumPart_Total %v, BoxSize %g disagree with %s's %d, %v, %g",
				h.NumFiles, h.NumPartTotal, h.BoxSize, first, nf, h0.NumPartTotal, h0.BoxSize)
		}
		s.files = append(s.files, g)
	}
	sum := make([]uint64, len(s.Header.NumPartTotal))
	for _, g := range s.files {
		for t, n := range g.hdr.NumPartThisFile {
			sum[t] += n
		}
	}
	if !slices.Equal(sum, s.Header.NumPartTotal) {
		return nil, hdf5Err(first, "/Header", "NumPart_ThisFile summed over %d file(s) is %v, but NumPart_Total is %v", nf, sum, s.Header.NumPartTotal)
	}
	return s, nil
}

// Dim is 3: snapshot positions are 3D.
func (s *HDF5Snapshot) Dim() int { return 3 }

// Box is the header's BoxSize.
func (s *HDF5Snapshot) Box() float64 { return s.Header.BoxSize }

// Count is the number of particles of the selected types in all files.
func (s *HDF5Snapshot) Count() int64 {
	var n int64
	for t, c := range s.Header.NumPartTotal {
		if s.Types>>t&1 == 1 {
			n += int64(c)
		}
	}
	return n
}

// Inputs lists the snapshot's files.
func (s *HDF5Snapshot) Inputs() []string {
	var p []string
	for _, g := range s.files {
		p = append(p, g.path)
	}
	return p
}

// Describe names the format and convention, the redshift and scale factor,
// the length unit when the file gives it, and the selected types.
func (s *HDF5Snapshot) Describe() string {
	h := s.Header
	var b strings.Builder
	fmt.Fprintf(&b, "HDF5 snapshot (%s conventions), z = %g, a = %g", h.Convention, h.Redshift, h.ScaleFactor)
	for _, name := range []string{"UnitLength_in_cm", "Unit length in cgs (U_L)"} {
		if u, ok := h.Units[name]; ok {
			fmt.Fprintf(&b, ", length unit %g cm", u)
		}
	}
	fmt.Fprintf(&b, ", types %0*b", len(h.NumPartTotal), s.Types)
	return b.String()
}

// Each streams the positions of the selected types, file by file, type by type.
func (s *HDF5Snapshot) Each(chunk int, fn func(pos []float64) error) error {
	return eachDecoded(s, chunk, fn)
}

// eachRaw streams the Coordinates of the selected types as stored, chunk
// particles at a time (or one HDF5 chunk, if smaller).
func (s *HDF5Snapshot) eachRaw(chunk int, fn func(rawChunk) error) error {
	for _, g := range s.files {
		if err := s.eachFile(g, max(chunk, 1), fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *HDF5Snapshot) eachFile(g *hdf5File, chunk int, fn func(rawChunk) error) error {
	f, done, err := openHDF5(g.path)
	if err != nil {
		return err
	}
	defer done()
	for t, n := range g.hdr.NumPartThisFile {
		if s.Types>>t&1 == 0 || n == 0 {
			continue
		}
		d, err := coordinates(f, g.path, t, n)
		if err != nil {
			return err
		}
		order, width := d.Type.Order(), d.Type.Size
		var done int64
		err = d.Read(chunk, func(b []byte) error {
			first := done
			c := rawChunk{b: b, dim: 3, order: order, width: width, bad: func(i int, v float64) error {
				return hdf5Err(g.path, d.Path, "particle %d of type %d has coordinate %v, want finite", first+int64(i/3), t, v)
			}}
			done += int64(len(b) / (3 * width))
			return fn(c)
		})
		if err != nil {
			return wrapBad(err)
		}
	}
	return nil
}

// wrapBad marks the errors of the HDF5 reader (a damaged file) as bad
// input; others, such as fn's, pass unchanged.
func wrapBad(err error) error {
	var e *hdf5.Error
	if errors.As(err, &e) && !errors.Is(err, ErrBadInput) {
		return fmt.Errorf("%w: %w", err, ErrBadInput)
	}
	return err
}

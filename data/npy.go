// NumPy .npy files: the exchange format for fields, particle grids and test sets,
// so that arrays written by the reference Python tools load here unchanged and
// fields written here load in NumPy with np.load.
//
// Format (numpy.lib.format): the magic "\x93NUMPY", a major and minor version
// byte, the header length (2 bytes little endian in v1.0, 4 bytes in v2.0 and
// v3.0), then an ASCII Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (128, 128), }
//
// padded with spaces and ended by '\n' so that the data starts on a 64-byte
// boundary, then the raw elements.

package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"gorgonia.org/tensor"
)

const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header length a reader accepts; NumPy itself
// refuses headers over 10000 bytes unless told otherwise.
const maxNPYHeader = 1 << 20

// WriteNPY writes t, a dense float32 tensor of any rank, to path as an .npy
// file ('<f4', C order, t's shape), atomically: a reader sees the old file or
// the complete new one.
func WriteNPY(path string, t *tensor.Dense) error {
	if t == nil {
		return fmt.Errorf("write %s: nil tensor", path)
	}
	if t.Dtype() != tensor.Float32 {
		return fmt.Errorf("write %s: tensor holds %v, want float32", path, t.Dtype())
	}
	if t.IsScalar() {
		x := t.Data().(float32)
		return atomicfile.Write(path, func(w io.Writer) error { return EncodeNPY(w, nil, []float32{x}) })
	}
	if t.RequiresIterator() || !t.DataOrder().IsRowMajor() {
		return fmt.Errorf("write %s: tensor is a strided view or not in C order; Materialize it first", path)
	}
	shape := []int(t.Shape())
	d := t.Data().([]float32)
	if n := t.Shape().TotalSize(); len(d) != n {
		return fmt.Errorf("write %s: tensor of shape %v has %d elements in its backing, want %d", path, shape, len(d), n)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeNPY(w, shape, d) })
}

// ReadNPY reads an .npy file of float32 or float64 elements, either byte
// order, C order, any rank, into a float32 tensor of the file's shape
// (float64 is rounded to float32). A rank-0 array becomes a scalar tensor.
// Errors name the file and what was wrong with it.
func ReadNPY(path string) (*tensor.Dense, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read npy: %w", err)
	}
	defer f.Close()
	var size int64 = -1
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	shape, d, err := decodeNPY(bufio.NewReaderSize(f, 1<<20), size)
	if err != nil {
		return nil, fmt.Errorf("read npy %s: %w", path, err)
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("read npy %s: array of shape %v has no elements, want at least one", path, shape)
	}
	if len(shape) == 0 {
		return tensor.New(tensor.FromScalar(d[0])), nil
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d)), nil
}

// EncodeNPY writes an .npy stream of data ('<f4', C order) with the given
// shape; an empty shape is a rank-0 array of one element. Version 1.0 is used
// unless the header needs more than 65535 bytes, then 2.0.
func EncodeNPY(w io.Writer, shape []int, data []float32) error {
	n := 1
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("encode npy: negative dimension in shape %v", shape)
		}
		n *= s
	}
	if n != len(data) {
		return fmt.Errorf("encode npy: shape %v holds %d elements but data has %d", shape, n, len(data))
	}
	var dims strings.Builder
	for i, s := range shape {
		if i > 0 {
			dims.WriteString(", ")
		}
		dims.WriteString(strconv.Itoa(s))
	}
	if len(shape) == 1 {
		dims.WriteString(",")
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims.String())

	// Pad so that magic + version + length field + dict + '\n' is a multiple of 64.
	version, lenBytes := byte(1), 2
	total := len(npyMagic) + 2 + lenBytes + len(dict) + 1
	pad := (64 - total%64) % 64
	if len(dict)+1+pad > math.MaxUint16 {
		version, lenBytes = 2, 4
		total = len(npyMagic) + 2 + lenBytes + len(dict) + 1
		pad = (64 - total%64) % 64
	}
	hlen := len(dict) + pad + 1
	hdr := make([]byte, 0, total+pad)
	hdr = append(hdr, npyMagic...)
	hdr = append(hdr, version, 0)
	if lenBytes == 2 {
		hdr = binary.LittleEndian.AppendUint16(hdr, uint16(hlen))
	} else {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(hlen))
	}
	hdr = append(hdr, dict...)
	hdr = append(hdr, strings.Repeat(" ", pad)...)
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("encode npy header: %w", err)
	}

	var buf [16384]byte
	for len(data) > 0 {
		m := min(len(data), len(buf)/4)
		for i, v := range data[:m] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*m]); err != nil {
			return fmt.Errorf("encode npy data: %w", err)
		}
		data = data[m:]
	}
	return nil
}

// DecodeNPY reads one .npy array from r: float32 or float64 ('<f4', '>f4',
// '<f8', '>f8'), C order, any rank. Float64 elements are rounded to float32.
// It reads exactly the header and the elements, nothing after them.
func DecodeNPY(r io.Reader) (shape []int, data []float32, err error) {
	return decodeNPY(r, -1)
}

// npyHeader is what an .npy header says about the array after it.
type npyHeader struct {
	shape []int
	descr string
	order binary.ByteOrder
	width int   // bytes per element: 4 or 8
	count int   // elements
	bytes int64 // length of the preamble and header, where the data starts
}

// readNPYHeader reads an .npy preamble and header from r and checks that it
// describes a C-order float32 or float64 array of a sane size.
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return h, fmt.Errorf("not an .npy file: shorter than its 8-byte preamble")
	}
	if string(pre[:6]) != npyMagic {
		return h, fmt.Errorf("not an .npy file: bad magic %q, want %q", pre[:6], npyMagic)
	}
	major := pre[6]
	var hlen int
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return h, fmt.Errorf("truncated .npy header length")
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
		h.bytes = 10
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return h, fmt.Errorf("truncated .npy header length")
		}
		hlen = int(binary.LittleEndian.Uint32(l[:]))
		h.bytes = 12
	default:
		return h, fmt.Errorf("unsupported .npy format version %d.%d, want 1.0, 2.0 or 3.0", major, pre[7])
	}
	if hlen > maxNPYHeader {
		return h, fmt.Errorf(".npy header length %d exceeds %d bytes", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return h, fmt.Errorf("truncated .npy header: want %d bytes", hlen)
	}
	h.bytes += int64(hlen)
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return h, err
	}
	h.shape, h.descr = shape, descr
	switch descr {
	case "<f4":
		h.order, h.width = binary.LittleEndian, 4
	case ">f4":
		h.order, h.width = binary.BigEndian, 4
	case "<f8":
		h.order, h.width = binary.LittleEndian, 8
	case ">f8":
		h.order, h.width = binary.BigEndian, 8
	default:
		return h, fmt.Errorf("unsupported .npy dtype %q, want '<f4', '>f4', '<f8' or '>f8'", descr)
	}
	if fortran {
		return h, fmt.Errorf("unsupported .npy layout fortran_order True, want C order (np.ascontiguousarray before np.save)")
	}
	h.count = 1
	for _, s := range shape {
		if s < 0 {
			return h, fmt.Errorf("negative dimension in .npy shape %v", shape)
		}
		if s != 0 && h.count > math.MaxInt/8/s {
			return h, fmt.Errorf(".npy shape %v is too large", shape)
		}
		h.count *= s
	}
	return h, nil
}

// decodeNPY is DecodeNPY knowing, when size >= 0, that r holds exactly size
// bytes, so that a truncated file is reported before allocating its data.
func decodeNPY(r io.Reader, size int64) ([]int, []float32, error) {
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, nil, err
	}
	shape, descr, order, width, n := h.shape, h.descr, h.order, h.width, h.count
	if size >= 0 && size-h.bytes < int64(n)*int64(width) {
		return nil, nil, fmt.Errorf("truncated .npy data: shape %v of %s needs %d bytes, file has %d after the header",
			shape, descr, int64(n)*int64(width), size-h.bytes)
	}

	// With a known size the whole array is allocated at once; from an
	// arbitrary reader it grows as data arrives, so a lying header cannot
	// make us allocate more than the stream holds (plus doubling slack).
	c := n
	if size < 0 {
		c = min(n, 1<<22)
	}
	out := make([]float32, 0, c)
	var buf [16384]byte
	for len(out) < n {
		m := min(n-len(out), len(buf)/width)
		if _, err := io.ReadFull(r, buf[:m*width]); err != nil {
			return nil, nil, fmt.Errorf("truncated .npy data: shape %v needs %d elements, got %d", shape, n, len(out))
		}
		if width == 4 {
			for i := range m {
				out = append(out, math.Float32frombits(order.Uint32(buf[4*i:])))
			}
		} else {
			for i := range m {
				out = append(out, float32(math.Float64frombits(order.Uint64(buf[8*i:]))))
			}
		}
	}
	return shape, out, nil
}

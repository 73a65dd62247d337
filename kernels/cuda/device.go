package cuda

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrNotBuilt is Open's error in a binary built without the cuda tag.
var ErrNotBuilt = errors.New(`this cosmogan was built without CUDA; build one with "go build -tags cuda ./cmd/cosmogan" (needs Debian's nvidia-cuda-toolkit and an NVIDIA driver), or set device = "cpu"`)

// Ptr is a device address.
type Ptr uint64

// A Driver is what the backend needs of a CUDA device: memory, copies and
// kernel launches by name. Launch arguments are 8-byte words (device
// pointers, int64 and float64 bits), the only argument size gorgonia.org/cu
// passes correctly.
type Driver interface {
	// Name describes the device, e.g. "NVIDIA H200 (sm_90)".
	Name() string
	Alloc(bytes int64) (Ptr, error)
	Free(p Ptr) error
	CopyToDevice(dst Ptr, src unsafe.Pointer, bytes int64) error
	CopyToHost(dst unsafe.Pointer, src Ptr, bytes int64) error
	CopyOnDevice(dst, src Ptr, bytes int64) error
	Zero(dst Ptr, bytes int64) error
	Launch(kernel string, grid, block [3]int, args []uint64) error
	// Synchronize waits for all launched work and reports its errors.
	Synchronize() error
	Close() error
}

// Elem is the element type of a device buffer.
type Elem interface{ float32 | float64 | int32 }

// Buffer is a device array of n values of type T.
type Buffer[T Elem] struct {
	Ptr Ptr
	Len int
}

// Slice returns the view of elements [lo, hi).
func (b Buffer[T]) Slice(lo, hi int) Buffer[T] {
	if lo < 0 || hi < lo || hi > b.Len {
		panic(fmt.Sprintf("cuda: slice [%d:%d] of a buffer of %d", lo, hi, b.Len))
	}
	var zero T
	return Buffer[T]{Ptr: b.Ptr + Ptr(lo)*Ptr(unsafe.Sizeof(zero)), Len: hi - lo}
}

// arg is the buffer as a kernel argument.
func (b Buffer[T]) arg() uint64 { return uint64(b.Ptr) }

func (b Buffer[T]) bytes() int64 {
	var zero T
	return int64(b.Len) * int64(unsafe.Sizeof(zero))
}

// Device runs the backend's operations on a Driver. Like bufio.Writer it keeps
// the first error and turns later calls into no-ops, so that a step issues its
// launches without checking each and asks Err once at the end.
type Device struct {
	drv    Driver
	err    error
	allocs []Ptr
	words  []uint64 // launch arguments, reused
}

// NewDevice returns a Device running on drv.
func NewDevice(drv Driver) *Device { return &Device{drv: drv} }

// Name describes the device.
func (d *Device) Name() string { return d.drv.Name() }

// Err returns the first error of any operation so far.
func (d *Device) Err() error { return d.err }

func (d *Device) fail(err error) {
	if err != nil && d.err == nil {
		d.err = err
	}
}

// Synchronize waits for the launched work and returns Err.
func (d *Device) Synchronize() error {
	if d.err == nil {
		d.fail(d.drv.Synchronize())
	}
	return d.err
}

// Close frees every buffer and releases the device.
func (d *Device) Close() error {
	var errs []error
	for _, p := range d.allocs {
		errs = append(errs, d.drv.Free(p))
	}
	d.allocs = nil
	errs = append(errs, d.drv.Close())
	return errors.Join(errs...)
}

// Alloc returns a zeroed device buffer of n values, freed by Close.
func Alloc[T Elem](d *Device, n int) Buffer[T] {
	b := Buffer[T]{Len: n}
	if d.err != nil || n == 0 {
		return b
	}
	p, err := d.drv.Alloc(b.bytes())
	if err != nil {
		d.fail(fmt.Errorf("allocating %d bytes on %s: %w", b.bytes(), d.drv.Name(), err))
		return b
	}
	d.allocs = append(d.allocs, p)
	b.Ptr = p
	d.Zero(b.Ptr, b.bytes())
	return b
}

// Free releases a buffer that Alloc returned, before Close.
func Free[T Elem](d *Device, b Buffer[T]) {
	for i, p := range d.allocs {
		if p == b.Ptr && p != 0 {
			d.allocs = append(d.allocs[:i], d.allocs[i+1:]...)
			d.fail(d.drv.Free(p))
			return
		}
	}
}

// Mark returns a point to Release back to: the buffers allocated so far.
func (d *Device) Mark() int { return len(d.allocs) }

// Release frees every buffer allocated since Mark returned mark, as at the
// end of a training stage.
func (d *Device) Release(mark int) {
	for _, p := range d.allocs[mark:] {
		d.fail(d.drv.Free(p))
	}
	d.allocs = d.allocs[:mark]
}

// Clear sets every value of b to zero.
func Clear[T Elem](d *Device, b Buffer[T]) { d.Zero(b.Ptr, b.bytes()) }

// Zero clears bytes at p.
func (d *Device) Zero(p Ptr, bytes int64) {
	if d.err == nil && bytes > 0 {
		d.fail(d.drv.Zero(p, bytes))
	}
}

// Upload copies src into dst, which must have the same length.
func Upload[T Elem](d *Device, dst Buffer[T], src []T) {
	if d.err != nil || len(src) == 0 {
		return
	}
	if len(src) != dst.Len {
		d.fail(fmt.Errorf("cuda: upload of %d values into a buffer of %d", len(src), dst.Len))
		return
	}
	d.fail(d.drv.CopyToDevice(dst.Ptr, unsafe.Pointer(&src[0]), dst.bytes()))
}

// Download copies src into dst, which must have the same length.
func Download[T Elem](d *Device, dst []T, src Buffer[T]) {
	if d.err != nil || len(dst) == 0 {
		return
	}
	if len(dst) != src.Len {
		d.fail(fmt.Errorf("cuda: download of a buffer of %d into %d values", src.Len, len(dst)))
		return
	}
	d.fail(d.drv.CopyToHost(unsafe.Pointer(&dst[0]), src.Ptr, src.bytes()))
}

// Copy copies src into dst on the device; both have the same length.
func Copy[T Elem](d *Device, dst, src Buffer[T]) {
	if d.err != nil || src.Len == 0 {
		return
	}
	if dst.Len != src.Len {
		d.fail(fmt.Errorf("cuda: copy of a buffer of %d into one of %d", src.Len, dst.Len))
		return
	}
	d.fail(d.drv.CopyOnDevice(dst.Ptr, src.Ptr, src.bytes()))
}

// launch runs a kernel on its argument words (iarg, farg, flag, Buffer.arg).
func (d *Device) launch(kernel string, grid, block [3]int, args ...uint64) {
	if d.err != nil {
		return
	}
	d.words = append(d.words[:0], args...) // args stay on the caller's stack
	if err := d.drv.Launch(kernel, grid, block, d.words); err != nil {
		d.fail(fmt.Errorf("launching %s on %v×%v: %w", kernel, grid, block, err))
	}
}

// Package emu runs the CUDA kernels of kernels/cuda on the host: kernels.cu
// compiled as C++ with the CUDA keywords defined away (emu.h), each launch's
// blocks run one after another and each block's threads as fibers that switch
// at __syncthreads. Device memory is host memory. It exists so that the GPU
// backend (launch geometry, argument order, kernel arithmetic, the device
// training step) is tested on machines without a GPU; it is far too slow for
// anything else.
package emu

/*
#cgo CXXFLAGS: -std=c++17 -O2
#include <stdlib.h>
#include <string.h>
#include "emu_api.h"

// to_ptr turns a device address back into the pointer calloc returned.
static void *to_ptr(uint64_t p) { return (void *)(uintptr_t)p; }
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// Driver is a cuda.Driver on the host. The emulator has global state, so
// launches of all Drivers are serialized.
type Driver struct{}

var launchMu sync.Mutex

// Open returns a Device running on the emulator.
func Open() *cuda.Device { return cuda.NewDevice(Driver{}) }

// Kernels lists the kernels the emulator knows.
func Kernels() []string {
	names := make([]string, C.emu_kernel_count())
	for i := range names {
		names[i] = C.GoString(C.emu_kernel_name(C.int(i)))
	}
	return names
}

func (Driver) Name() string { return "CUDA emulator (host)" }

func (Driver) Alloc(bytes int64) (cuda.Ptr, error) {
	p := C.calloc(C.size_t(bytes), 1)
	if p == nil {
		return 0, fmt.Errorf("emu: out of memory for %d bytes", bytes)
	}
	return cuda.Ptr(uintptr(p)), nil
}

func (Driver) Free(p cuda.Ptr) error {
	C.free(ptr(p))
	return nil
}

func (Driver) CopyToDevice(dst cuda.Ptr, src unsafe.Pointer, bytes int64) error {
	C.memcpy(ptr(dst), src, C.size_t(bytes))
	return nil
}

func (Driver) CopyToHost(dst unsafe.Pointer, src cuda.Ptr, bytes int64) error {
	C.memcpy(dst, ptr(src), C.size_t(bytes))
	return nil
}

func (Driver) CopyOnDevice(dst, src cuda.Ptr, bytes int64) error {
	C.memmove(ptr(dst), ptr(src), C.size_t(bytes))
	return nil
}

func (Driver) Zero(dst cuda.Ptr, bytes int64) error {
	C.memset(ptr(dst), 0, C.size_t(bytes))
	return nil
}

// launchArgs holds what one launch passes to C; launchMu guards it (and the
// emulator's own globals), and being package-level it costs no allocation.
var launchArgs struct {
	grid, block [3]C.uint
	msg         [256]C.char
}

func (Driver) Launch(kernel string, grid, block [3]int, args []uint64) error {
	launchMu.Lock()
	defer launchMu.Unlock()
	a := &launchArgs
	for i := range 3 {
		if grid[i] < 1 || block[i] < 1 {
			return fmt.Errorf("emu: kernel %s: grid %v, block %v: every extent must be ≥ 1", kernel, grid, block)
		}
		a.grid[i], a.block[i] = C.uint(grid[i]), C.uint(block[i])
	}
	name := C.CString(kernel)
	defer C.free(unsafe.Pointer(name))
	var words *C.uint64_t // C reads the words only during the call
	if len(args) > 0 {
		words = (*C.uint64_t)(unsafe.Pointer(&args[0]))
	}
	if C.emu_launch(name, &a.grid[0], &a.block[0], words, C.int(len(args)), &a.msg[0], C.int(len(a.msg))) != 0 {
		return errors.New("emu: " + C.GoString(&a.msg[0]))
	}
	return nil
}

func (Driver) Synchronize() error { return nil }
func (Driver) Close() error       { return nil }

// ptr turns a device address, which the emulator allocated with calloc, back
// into a pointer. (Through C, because the address is not Go memory.)
func ptr(p cuda.Ptr) unsafe.Pointer { return C.to_ptr(C.uint64_t(p)) }

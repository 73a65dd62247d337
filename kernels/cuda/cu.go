//go:build cuda

package cuda

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	_ "github.com/cosmogan/cosmogan/kernels/cuda/probe" // before cu's init: a clear message without a GPU
	"gorgonia.org/cu"
)

//go:embed kernels_sm80.ptx
var ptxSM80 string

//go:embed kernels_sm90.ptx
var ptxSM90 string

// gpu is the Driver of a real GPU, through gorgonia.org/cu. CUDA contexts are
// bound to OS threads and goroutines move between them, so every call locks
// its goroutine to its thread and makes the context current first. A gpu is
// used by one goroutine at a time (a rank's training loop).
type gpu struct {
	name string
	dev  cu.Device
	ctx  cu.CUContext
	mod  cu.Module
	fns  map[string]cu.Function
	// params points at each argument word of a launch; cu copies the words
	// into C memory, so the slice is reused.
	params []unsafe.Pointer
}

// Open returns a Device on the GPU localID modulo the number of visible
// devices (SLURM_LOCALID under Slurm, so that the tasks of a node share out
// its GPUs), in the device's primary context (the one the CUDA runtime and
// other processes' tools share; a GPU in exclusive-process mode allows one),
// with the PTX for its compute capability.
func Open(localID int) (*Device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("counting CUDA devices: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("no CUDA device is visible (CUDA_VISIBLE_DEVICES=%q)", os.Getenv("CUDA_VISIBLE_DEVICES"))
	}
	dev, err := cu.GetDevice(localID % n)
	if err != nil {
		return nil, fmt.Errorf("CUDA device %d: %w", localID%n, err)
	}
	major, minor, err := dev.ComputeCapability()
	if err != nil {
		return nil, fmt.Errorf("CUDA device %d: %w", localID%n, err)
	}
	name, _ := dev.Name()
	if major < 8 {
		return nil, fmt.Errorf("CUDA device %d (%s) has compute capability %d.%d; the kernels are built for 8.0 and newer", localID%n, name, major, minor)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx, err := dev.RetainPrimaryCtx()
	if err == nil {
		err = cu.SetCurrentContext(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("the context of CUDA device %d (%s): %w", localID%n, name, err)
	}
	image := ptxSM80
	if major >= 9 {
		image = ptxSM90
	}
	jitLog := &cu.JITErrorLogBuffer{Buffer: make([]byte, 8192)}
	mod, err := cu.LoadDataEx(image, jitLog)
	if err != nil {
		dev.ReleasePrimaryCtx()
		return nil, fmt.Errorf("compiling the kernels for %s (sm_%d%d): %w: %s", name, major, minor, err, bytes.TrimRight(jitLog.Buffer, "\x00"))
	}
	g := &gpu{name: fmt.Sprintf("%s (device %d, sm_%d%d)", name, localID%n, major, minor), dev: dev, ctx: ctx, mod: mod, fns: map[string]cu.Function{}}
	return NewDevice(g), nil
}

// bind locks the calling goroutine to its thread and makes the context
// current there; the returned function undoes the lock.
func (g *gpu) bind() func() {
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(g.ctx); err != nil {
		panic(fmt.Sprintf("cuda: making the context of %s current: %v", g.name, err))
	}
	return runtime.UnlockOSThread
}

func (g *gpu) Name() string { return g.name }

func (g *gpu) Alloc(bytes int64) (Ptr, error) {
	defer g.bind()()
	p, err := cu.MemAlloc(bytes)
	return Ptr(p), err
}

func (g *gpu) Free(p Ptr) error {
	defer g.bind()()
	return cu.MemFree(cu.DevicePtr(p))
}

func (g *gpu) CopyToDevice(dst Ptr, src unsafe.Pointer, bytes int64) error {
	defer g.bind()()
	return cu.MemcpyHtoD(cu.DevicePtr(dst), src, bytes)
}

func (g *gpu) CopyToHost(dst unsafe.Pointer, src Ptr, bytes int64) error {
	defer g.bind()()
	return cu.MemcpyDtoH(dst, cu.DevicePtr(src), bytes)
}

func (g *gpu) CopyOnDevice(dst, src Ptr, bytes int64) error {
	defer g.bind()()
	return cu.MemcpyDtoD(cu.DevicePtr(dst), cu.DevicePtr(src), bytes)
}

func (g *gpu) Zero(dst Ptr, bytes int64) error {
	defer g.bind()()
	return cu.MemsetD8(cu.DevicePtr(dst), 0, bytes)
}

func (g *gpu) Launch(kernel string, grid, block [3]int, args []uint64) error {
	defer g.bind()()
	fn, ok := g.fns[kernel]
	if !ok {
		var err error
		if fn, err = g.mod.Function(kernel); err != nil {
			return fmt.Errorf("kernel %s: %w", kernel, err)
		}
		g.fns[kernel] = fn
	}
	g.params = g.params[:0]
	for i := range args {
		g.params = append(g.params, unsafe.Pointer(&args[i]))
	}
	return fn.Launch(grid[0], grid[1], grid[2], block[0], block[1], block[2], 0, cu.NoStream, g.params)
}

func (g *gpu) Synchronize() error {
	defer g.bind()()
	return cu.Synchronize()
}

func (g *gpu) Close() error {
	defer g.bind()()
	err := g.mod.Unload()
	if rerr := g.dev.ReleasePrimaryCtx(); err == nil {
		err = rerr
	}
	return err
}

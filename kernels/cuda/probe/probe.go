//go:build cuda

// Package probe checks, before gorgonia.org/cu is initialized, that the CUDA
// driver works, and otherwise stops the program with a message that says
// what to do. cu's own package init calls cuInit and exits with a bare error
// code when it fails; Go initializes packages in import-path order among those
// whose imports are ready, so this package (github.com/…) runs first.
package probe

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>
*/
import "C"

import (
	"fmt"
	"os"
)

func init() {
	r := C.cuInit(0)
	if r == C.CUDA_SUCCESS {
		return
	}
	var name, desc *C.char
	C.cuGetErrorName(r, &name)
	C.cuGetErrorString(r, &desc)
	msg := fmt.Sprintf("error %d", int(r))
	if name != nil && desc != nil {
		msg = C.GoString(name) + ": " + C.GoString(desc)
	}
	fmt.Fprintf(os.Stderr, "cosmogan: this binary was built with CUDA (-tags cuda) and needs a usable NVIDIA GPU and driver, but cuInit failed: %s.\n"+
		"Use a build without the cuda tag (go build ./cmd/cosmogan) on machines without a GPU.\n", msg)
	os.Exit(1)
}

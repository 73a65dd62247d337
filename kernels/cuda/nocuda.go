//go:build !cuda

package cuda

import "errors"

// Built reports whether this binary has the CUDA backend.
const Built = false

// ErrNotBuilt is Open's error in a binary built without the cuda tag.
var ErrNotBuilt = errors.New(`this cosmogan was built without CUDA; build one with "go build -tags cuda ./cmd/cosmogan" (needs Debian's nvidia-cuda-toolkit and an NVIDIA driver), or set device = "cpu"`)

// Open fails: this binary has no GPU driver.
func Open(localID int) (*Device, error) { return nil, ErrNotBuilt }

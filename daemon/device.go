package daemon

import (
	"fmt"

	"github.com/cosmogan/cosmogan/kernels/cuda"
	"github.com/cosmogan/cosmogan/parallel"
)

// openCUDA opens GPU i of the node; tests without a GPU put the emulator here.
var openCUDA = cuda.Open

// openGPU opens this rank's GPU when the configuration asks for one (nil, nil
// on the CPU). Ranks on one node take its GPUs in turn by their local rank
// (parallel.LocalRank).
func openGPU(cfg Config, getenv func(string) string) (*cuda.Device, error) {
	if cfg.Device != DeviceCUDA {
		return nil, nil
	}
	local, err := parallel.LocalRank(getenv)
	if err != nil {
		return nil, err
	}
	d, err := openCUDA(local)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf(`device = "cuda": %w`, err)}
	}
	return d, nil
}

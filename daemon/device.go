package daemon

import (
	"fmt"
	"strconv"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// openCUDA opens GPU i of the node; tests without a GPU put the emulator here.
var openCUDA = cuda.Open

// openGPU opens this rank's GPU when the configuration asks for one (nil, nil
// on the CPU). Ranks on one node take its GPUs in turn by their local rank:
// SLURM_LOCALID under Slurm, OpenMPI's local rank under mpirun.
func openGPU(cfg Config, getenv func(string) string) (*cuda.Device, error) {
	if cfg.Device != "cuda" {
		return nil, nil
	}
	local := 0
	for _, key := range []string{"SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK"} {
		if v := getenv(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s=%q: want the rank of this task on its node, an integer ≥ 0", key, v)
			}
			local = n
			break
		}
	}
	d, err := openCUDA(local)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf(`device = "cuda": %w`, err)}
	}
	return d, nil
}

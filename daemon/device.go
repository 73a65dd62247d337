package daemon

import (
	"fmt"
	"strconv"

	"github.com/cosmogan/cosmogan/kernels/cuda"
)

// openCUDA opens GPU i of the node; tests without a GPU put the emulator here.
var openCUDA = cuda.Open

// openGPU opens this rank's GPU when the configuration asks for one (nil, nil
// on the CPU). Ranks on one node take its GPUs in turn by their local rank
// (localRank).
func openGPU(cfg Config, getenv func(string) string) (*cuda.Device, error) {
	if cfg.Device != "cuda" {
		return nil, nil
	}
	local, err := localRank(getenv)
	if err != nil {
		return nil, err
	}
	d, err := openCUDA(local)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf(`device = "cuda": %w`, err)}
	}
	return d, nil
}

// localRankVars are where launchers put the rank of a task among those on
// its node, in the order they are trusted: Slurm's srun, OpenMPI's mpirun,
// MPICH's and Intel MPI's Hydra, PMI-1/2 launchers (Cray's among them), and
// PMIx servers.
var localRankVars = []string{"SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "PMIX_LOCAL_RANK"}

// localRank is this task's rank on its node, from the first of
// localRankVars that is set; 0 when none is (one process).
func localRank(getenv func(string) string) (int, error) {
	for _, key := range localRankVars {
		if v := getenv(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("%s=%q: want the rank of this task on its node, an integer ≥ 0", key, v)
			}
			return n, nil
		}
	}
	return 0, nil
}

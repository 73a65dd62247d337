package parallel

import (
	"fmt"
	"strconv"
)

// LocalRank is the rank of this process among the job's processes on its
// node, from the launcher's environment (getenv is os.Getenv outside tests):
// SLURM_LOCALID under Slurm, OpenMPI's OMPI_COMM_WORLD_LOCAL_RANK under
// mpirun, 0 when neither is set. Ranks on one node take its GPUs in turn by
// it.
func LocalRank(getenv func(string) string) (int, error) {
	for _, key := range []string{"SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK"} {
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

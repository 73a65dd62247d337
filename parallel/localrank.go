package parallel

import (
	"fmt"
	"strconv"
)

// localRankVars are where launchers put the rank of a task among those on
// its node, in the order they are trusted: Slurm's srun, OpenMPI's mpirun,
// MPICH's and Intel MPI's Hydra, PMI-1/2 launchers (Cray's among them), and
// PMIx servers.
var localRankVars = []string{"SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "PMIX_LOCAL_RANK"}

// LocalRank is the rank of this process among the job's processes on its
// node, from the first of localRankVars the launcher set (getenv is
// os.Getenv outside tests), 0 when none is. Ranks on one node take its GPUs
// in turn by it.
func LocalRank(getenv func(string) string) (int, error) {
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

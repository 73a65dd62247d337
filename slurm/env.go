// Package slurm connects the training daemon to the Slurm workload manager: it
// reads the environment Slurm gives each task (FromEnv), renders the batch job
// script that launches the daemon on every rank (Job.Script), submits it
// (Submit), and puts a running job back in the queue (Requeue) so that it
// resumes from its checkpoint after a time limit or a preemption.
//
// The package runs Slurm's own commands (sbatch, scontrol) and imports nothing
// of the project. Package slurmtest starts a real one-machine Slurm cluster for
// tests.
package slurm

import (
	"fmt"
	"strconv"
	"strings"
)

// Env is what Slurm tells one task of a job step about its place in the job.
// Outside Slurm (InSlurm false) it describes a lone process: rank 0 of 1.
type Env struct {
	JobID   string // SLURM_JOB_ID: the job, the same for every task and every requeued run
	ProcID  int    // SLURM_PROCID: the global rank of this task in the step, 0 ≤ ProcID < NTasks
	NTasks  int    // SLURM_NTASKS: the number of tasks (ranks) in the step
	LocalID int    // SLURM_LOCALID: the rank of this task among those on its node
	NodeID  int    // SLURM_NODEID: the index of this task's node in the job's node list
	InSlurm bool   // SLURM_JOB_ID is set: the process runs inside a Slurm job
}

// FromEnv reads the Slurm variables through getenv (os.Getenv, or a map in a
// test). A variable that is set but is not a number in range is an error that
// names it; one that is unset takes its lone-process value (0, or 1 for
// SLURM_NTASKS).
func FromEnv(getenv func(string) string) (Env, error) {
	e := Env{JobID: strings.TrimSpace(getenv("SLURM_JOB_ID")), NTasks: 1}
	e.InSlurm = e.JobID != ""
	for _, v := range []struct {
		name string
		dst  *int
		min  int
	}{
		{"SLURM_PROCID", &e.ProcID, 0},
		{"SLURM_NTASKS", &e.NTasks, 1},
		{"SLURM_LOCALID", &e.LocalID, 0},
		{"SLURM_NODEID", &e.NodeID, 0},
	} {
		s := strings.TrimSpace(getenv(v.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < v.min {
			return Env{}, fmt.Errorf("slurm: %s=%q is not an integer ≥ %d", v.name, s, v.min)
		}
		*v.dst = n
	}
	if e.ProcID >= e.NTasks {
		return Env{}, fmt.Errorf("slurm: SLURM_PROCID=%d is not below SLURM_NTASKS=%d", e.ProcID, e.NTasks)
	}
	if e.LocalID > e.ProcID {
		return Env{}, fmt.Errorf("slurm: SLURM_LOCALID=%d is above SLURM_PROCID=%d", e.LocalID, e.ProcID)
	}
	return e, nil
}

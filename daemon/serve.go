package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/parallel"
	"github.com/cosmogan/cosmogan/slurm"
)

// Serve is `cosmogan run` as a process: it joins the job's ranks (MPI when
// built with -tags mpi), checks that the launcher agrees, runs cfg in dir,
// and handles the signals. SIGINT, SIGTERM and SIGUSR1 make every rank stop
// after the same step with a checkpoint written; after SIGUSR1 inside a Slurm
// job (sbatch --signal=USR1@lead, or scancel --signal=USR1), rank 0 requeues
// the job, which then resumes from that checkpoint. A run stopped so returns
// no error, and rank 0 writes a note for the user (what happened, how it
// continues) to notes, at once: the requeue ends this process, so the note
// cannot wait to be returned. On an error that other ranks may not share,
// the rank logs it and the job is aborted so that none is left waiting.
func Serve(cfg Config, dir string, notes io.Writer) error {
	env, err := slurm.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	comm, err := parallel.World()
	if err != nil {
		return err
	}
	defer comm.Close()
	if err := checkLauncher(env, comm); err != nil {
		return err
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var got os.Signal
	go func() {
		select {
		case s := <-sigs:
			mu.Lock()
			got = s
			mu.Unlock()
			cancel()
		case <-ctx.Done():
		}
	}()

	err = Run(ctx, cfg, dir, comm)
	mu.Lock()
	sig := got
	mu.Unlock()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrStopped) && sig == syscall.SIGUSR1 && env.InSlurm:
		// Slurm's warning before the time limit: the checkpoint is written,
		// the job goes back in the queue and continues from it; this run
		// ends as it should (status 0).
		if comm.Rank() != 0 {
			return nil
		}
		rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer rcancel()
		if rerr := slurm.Requeue(rctx, env.JobID); rerr != nil {
			return fmt.Errorf("%w; requeueing Slurm job %s failed: %v", err, env.JobID, rerr)
		}
		fmt.Fprintf(notes, "cosmogan: %v; requeued Slurm job %s, which resumes from the checkpoint\n", err, env.JobID)
		return nil
	case errors.Is(err, ErrStopped):
		// The checkpoint is written: stopping is what was asked for.
		if comm.Rank() == 0 {
			fmt.Fprintf(notes, "cosmogan: %v; run the same command again to continue\n", err)
		}
		return nil
	case comm.Size() > 1:
		// Abort ends the process: the error cannot be returned to be
		// printed, so it is logged (to stderr) first.
		log := NewLogger(comm.Rank())
		log.Error().Err(err).Int("ranks", comm.Size()).Msg("cosmogan run failed on this rank: aborting the job")
		comm.Abort(ExitStatus(err))
	}
	return err
}

// checkLauncher refuses a job whose launcher started several tasks that do
// not form one communicator (a binary without MPI under srun or mpirun):
// each would train alone and write into the same run directory.
func checkLauncher(env slurm.Env, comm parallel.Comm) error {
	tasks := env.NTasks
	if n, err := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_SIZE")); err == nil && n > tasks {
		tasks = n
	}
	if tasks > 1 && comm.Size() != tasks {
		return fmt.Errorf("the launcher started %d tasks but this binary sees %d rank(s): build it with MPI (go build -tags mpi ./cmd/cosmogan) and launch with srun --mpi=pmix or mpirun", tasks, comm.Size())
	}
	if env.InSlurm && env.NTasks == comm.Size() && env.ProcID != comm.Rank() {
		return fmt.Errorf("Slurm task %d is MPI rank %d: the ranks are not Slurm's (srun --mpi=pmix?)", env.ProcID, comm.Rank())
	}
	return nil
}

// ExitStatus is the process status for err: 2 for configuration and input
// mistakes, 1 for other failures.
func ExitStatus(err error) int {
	var ce *ConfigError
	if errors.As(err, &ce) || errors.Is(err, data.ErrBadInput) {
		return 2
	}
	return 1
}

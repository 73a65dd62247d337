package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// runDirEntries are the names a run directory holds (see the layout in
// rundir.go); anything else means the directory belongs to something else.
var runDirEntries = map[string]bool{"config.toml": true, "state.json": true, "status.addr": true, lockName: true,
	"data": true, "checkpoints": true, "samples": true, "figures": true, "logs": true, "metrics": true, "report": true}

const (
	lockName = "lock"
	// frozenHeader starts the config.toml a run freezes: it tells a run
	// directory's configuration from a user's.
	frozenHeader = "# The configuration this run was started with"
)

// checkUsable refuses a run_dir that is a file, or a non-empty directory that
// is not a cosmogan run directory (run_dir = "/" or a project folder would
// otherwise be filled with the run's files).
func (d runDir) checkUsable() error {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		if st, serr := os.Stat(string(d)); serr == nil && !st.IsDir() {
			return configErrorf("run_dir %s is a file, want a directory (new or of an earlier run)", d)
		}
		return err
	}
	var foreign []string
	for _, e := range entries {
		// A run killed while writing a file leaves its temporary (removed
		// once the directory is locked): it belongs to the run.
		target, temp := atomicfile.TempOf(e.Name())
		if !runDirEntries[e.Name()] && !slurmOutput(e.Name()) && !(temp && runDirEntries[target]) {
			foreign = append(foreign, e.Name())
		}
	}
	if len(foreign) == 0 {
		frozen, err := os.ReadFile(d.path("config.toml"))
		if err != nil || bytes.HasPrefix(frozen, []byte(frozenHeader)) {
			return nil
		}
		foreign = []string{"config.toml (not one a run froze)"}
	}
	if len(foreign) > 3 {
		foreign = append(foreign[:3], "…")
	}
	return configErrorf("run_dir %s is not empty and not a cosmogan run directory (it holds %s): use a new or empty directory",
		d, strings.Join(foreign, ", "))
}

// slurmOutput reports whether name is the output file of a Slurm job of the
// run: `cosmogan sbatch` puts slurm-JOBID.out in the run directory, and
// Slurm creates it before the run starts.
func slurmOutput(name string) bool {
	id, ok := strings.CutPrefix(name, "slurm-")
	id, ok2 := strings.CutSuffix(id, ".out")
	return ok && ok2 && id != "" && strings.Trim(id, "0123456789_") == ""
}

// lock takes an exclusive lock on RUN_DIR/lock for as long as the run goes
// on: two runs writing one directory would leave weights matching neither.
// The kernel drops the lock when the process dies, so a killed run never
// leaves the directory locked. The file names the holder for the message
// the next run gives.
func (d runDir) lock() (release func(), err error) {
	f, err := os.OpenFile(d.path(lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := make([]byte, 256)
		n, _ := f.ReadAt(holder, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, configErrorf("run directory %s is in use by another cosmogan run (%s): wait for it to end, or use another run_dir",
				d, strings.TrimSpace(string(holder[:n])))
		}
		return nil, fmt.Errorf("lock %s: %w", d.path(lockName), err)
	}
	host, _ := os.Hostname()
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d on host %s, since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	}
	return func() { f.Close() }, nil
}

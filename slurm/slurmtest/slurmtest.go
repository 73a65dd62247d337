// Package slurmtest starts a real one-machine Slurm cluster for a test: a
// private munged, slurmctld and slurmd, run as root on this machine with a
// generated slurm.conf, all state in a temporary folder and on free ports, so
// that tests in several packages may each run their own cluster at once and
// none touches /etc/slurm, /etc/munge or a system cluster.
//
// The recipe is the one of DESIGN.md (ProctrackType=proctrack/linuxproc,
// TaskPlugin=task/none, SlurmUser=SlurmdUser=root, one node named after the
// host with CPUs=2).
package slurmtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the variable that, set to 1, turns a skip for a missing
// Slurm or a non-root user into a failure: CI sets it, so the real-Slurm tests
// cannot pass there by being skipped.
const RequireEnv = "COSMOGAN_REQUIRE_SLURM"

// Cluster is a running one-node cluster. While the test runs, SLURM_CONF
// points at Conf, so Slurm commands (and slurm.Submit, slurm.Requeue, and the
// programs the test starts) talk to it.
type Cluster struct {
	Dir  string // the folder of slurm.conf, state, spool and logs
	Conf string // slurm.conf
	Node string // the node's name: the short host name
	CPUs int    // CPUs of the node
	MPI  string // MpiDefault: "pmix" when the plugin is installed, else "none"

	daemons []*daemon
	prefix  []string // runs client commands elsewhere (StartNodes: in the head namespace)
}

type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error
}

// Missing says why a cluster cannot start here, or "" when it can.
func Missing() string {
	if os.Geteuid() != 0 {
		return "not root (slurmd must run jobs as their user; CI runs as root)"
	}
	for _, b := range []string{"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "srun"} {
		if _, err := lookPath(b); err != nil {
			return fmt.Sprintf("%s is not installed (apt-get install -y slurm-wlm munge)", b)
		}
	}
	return ""
}

// lookPath finds a program in PATH or in the sbin folders a non-login root
// PATH may lack.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// PMIxPlugin reports whether Slurm's PMIx MPI plugin is installed.
func PMIxPlugin() bool {
	for _, pat := range []string{"/usr/lib/*/slurm-wlm/mpi_pmix*.so", "/usr/lib*/slurm/mpi_pmix*.so", "/usr/local/lib/slurm/mpi_pmix*.so"} {
		if m, _ := filepath.Glob(pat); len(m) > 0 {
			return true
		}
	}
	return false
}

// Start starts a cluster and waits until its node is idle. It skips the test
// when Missing says so (fails instead when RequireEnv is 1), sets SLURM_CONF
// for the rest of the test (so the test must not be parallel), and stops
// everything when the test ends: jobs are cancelled, the daemons stopped, and
// the folder removed, or kept and the logs' tails printed when the test
// failed.
func Start(t testing.TB) *Cluster {
	t.Helper()
	return StartWith(t, Options{})
}

// Options change the cluster Start makes.
type Options struct {
	// CPUs the node declares (default 2). More than the machine has is
	// allowed (slurmd takes the declared count), for jobs that mostly wait.
	CPUs int
}

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.CPUs <= 0 {
		o.CPUs = 2
	}
	if why := Missing(); why != "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("slurmtest: cannot start a Slurm cluster: %s (%s=1)", why, RequireEnv)
		}
		t.Skipf("slurmtest: no Slurm cluster: %s", why)
	}
	dir, err := os.MkdirTemp("", "slurmtest-") // short: the munge socket path is limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), Node: host, CPUs: o.CPUs, MPI: "none"}
	if PMIxPlugin() {
		c.MPI = "pmix"
	}
	t.Cleanup(func() { c.stop(t) })
	t.Setenv("SLURM_CONF", c.Conf)

	for _, d := range []string{"state", "spool", "munge", "pmix"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	key := make([]byte, 1024)
	rand.Read(key)
	keyFile := filepath.Join(dir, "munge", "munge.key")
	if err := os.WriteFile(keyFile, key, 0o400); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "munge", "munge.socket")
	c.start(t, "munged", "--foreground", "--force", "--socket="+sock, "--key-file="+keyFile,
		"--pid-file="+filepath.Join(dir, "munge", "munged.pid"), "--log-file="+filepath.Join(dir, "munged.log"),
		"--seed-file="+filepath.Join(dir, "munge", "munged.seed"))
	c.waitFor(t, 10*time.Second, "the munge socket", func() bool { _, err := os.Stat(sock); return err == nil })

	ports := freePorts(t, 2)
	level := "info"
	if os.Getenv("SLURMTEST_DEBUG") == "1" {
		level = "debug2"
	}
	firstJob := 1000 + mrand.IntN(900000) // job ids differ between clusters and runs
	conf := fmt.Sprintf(confTemplate, host, ports[0], ports[1], sock, dir, dir, dir, dir, dir, dir, level, level, c.MPI, firstJob, host, c.CPUs, host)
	if err := os.WriteFile(c.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// The PMIx plugin makes a folder per step named after the uid, job and
	// step ids under PMIxCliTmpDirBase (default /tmp), and fails the step
	// when it exists: a folder of this cluster, not /tmp shared with every
	// other test cluster, whose job ids also start from FirstJobId.
	mpiConf := "PMIxCliTmpDirBase=" + filepath.Join(dir, "pmix") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "mpi.conf"), []byte(mpiConf), 0o644); err != nil {
		t.Fatal(err)
	}
	c.start(t, "slurmctld", "-D", "-i", "-f", c.Conf)
	c.start(t, "slurmd", "-D", "-f", c.Conf)
	var state string
	c.waitFor(t, 30*time.Second, "the node to be idle", func() bool {
		out, _ := c.command(context.Background(), "sinfo", "-h", "-N", "-o", "%t")
		state = strings.TrimSpace(out)
		return state == "idle"
	})
	t.Logf("slurmtest: cluster up in %s (node %s, CPUs=%d, MpiDefault=%s, ports %d/%d)", dir, host, c.CPUs, c.MPI, ports[0], ports[1])
	return c
}

// confTemplate is slurm.conf; see the comments for what differs from a
// default installation and why.
const confTemplate = `# Generated by slurmtest: a one-node test cluster.
ClusterName=cosmogantest
SlurmctldHost=%s(127.0.0.1)
SlurmctldPort=%d
SlurmdPort=%d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again
# (default 120 s); 10 s keeps requeue tests short.
AuthInfo=socket=%s,cred_expire=10
StateSaveLocation=%s/state
SlurmdSpoolDir=%s/spool
SlurmctldPidFile=%s/slurmctld.pid
SlurmdPidFile=%s/slurmd.pid
SlurmctldLogFile=%s/slurmctld.log
SlurmdLogFile=%s/slurmd.log
SlurmctldDebug=%s
SlurmdDebug=%s
# No cgroups in a container: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=%s
# Schedule pending jobs every second, not every minute.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
MinJobAge=600
FirstJobId=%d
# The node is declared, not probed: accept CPUs and RealMemory as written.
SlurmdParameters=config_overrides
NodeName=%s NodeAddr=127.0.0.1 CPUs=%d RealMemory=512 State=UNKNOWN
PartitionName=debug Nodes=%s Default=YES MaxTime=INFINITE State=UP
`

func freePorts(t testing.TB, n int) []int {
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// start runs one daemon in the foreground, its stdout and stderr in
// DIR/NAME.out.
func (c *Cluster) start(t testing.TB, name string, args ...string) {
	t.Helper()
	path, err := lookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(c.Dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.Conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // ^C of the test does not reach it first
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("slurmtest: start %s: %v", name, err)
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { d.err = cmd.Wait(); out.Close(); close(d.done) }()
	c.daemons = append(c.daemons, d)
}

// waitFor polls cond until it holds; it fails the test when a daemon exits
// or the timeout passes.
func (c *Cluster) waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		for _, d := range c.daemons {
			select {
			case <-d.done:
				t.Fatalf("slurmtest: %s exited (%v) while waiting for %s", d.name, d.err, what)
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("slurmtest: no %s after %v", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Logs returns the last lines of every log of the cluster.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, name := range []string{"slurmctld.log", "slurmd.log", "munged.log", "slurmctld.out", "slurmd.out", "munged.out"} {
		data, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", filepath.Join(c.Dir, name), strings.Join(lines, "\n"))
	}
	return b.String()
}

// stop cancels all jobs, stops the daemons (TERM, then KILL after 10 s), and
// removes the folder, or keeps it and prints the logs when the test failed.
func (c *Cluster) stop(t testing.TB) {
	if len(c.daemons) == 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		c.command(ctx, "scancel", "--full", "--user=root")
		for ctx.Err() == nil {
			out, err := c.command(ctx, "squeue", "-h", "-t", "RUNNING,COMPLETING,PENDING,REQUEUED,CONFIGURING", "-o", "%i")
			if err != nil || strings.TrimSpace(out) == "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		cancel()
	}
	if t.Failed() {
		t.Logf("slurmtest: logs of the cluster (kept in %s):\n%s", c.Dir, c.Logs())
	}
	for i := len(c.daemons) - 1; i >= 0; i-- {
		d := c.daemons[i]
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			t.Logf("slurmtest: %s did not stop on SIGTERM in 10 s; killing it", d.name)
			d.cmd.Process.Kill()
			<-d.done
		}
	}
	c.killLeftovers(t)
	if !t.Failed() {
		os.RemoveAll(c.Dir)
	}
}

// killLeftovers kills what the daemons leave behind once stopped: step
// daemons (slurmstepd runs detached from slurmd) and tasks that a cancel did
// not end. They are known by SLURM_CONF=Conf in their environment, which
// slurmd handed to every slurmstepd and sbatch to every task.
func (c *Cluster) killLeftovers(t testing.TB) {
	mark := []byte("SLURM_CONF=" + c.Conf + "\x00")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), append([]byte{0}, mark...)) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		t.Logf("slurmtest: killing leftover process %d (%s)", pid, bytes.ReplaceAll(bytes.TrimRight(cmdline, "\x00"), []byte{0}, []byte{' '}))
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

package slurmtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Nodes is a running Slurm cluster of several nodes on this machine, made by
// scripts/cluster/cluster.sh: each node a network namespace with its own
// address, hostname and slurmd, the controller and munged in a head
// namespace. Slurm commands reach the controller only from the head
// namespace: Run, Job and WaitJob go there, and Command starts any program
// there. Unlike Start, StartNodes does not set SLURM_CONF in the test's own
// environment (nothing on this machine's network reaches the controller).
type Nodes struct {
	*Cluster          // Dir, Conf, Node (the first node), CPUs (per node), MPI = "pmix"
	Names    []string // the nodes' names, which are also their hostnames
	Env      []string // what a job needs in its environment (SLURM_CONF, OpenMPI's settings)
	script   string
}

// MissingNodes says why a multi-node cluster cannot start here, or "" when
// it can: what Missing says, the tools for namespaces, and the PMIx plugin
// (ranks on several nodes find each other through it).
func MissingNodes() string {
	if why := Missing(); why != "" {
		return why
	}
	for _, b := range []string{"ip", "nsenter", "unshare"} {
		if _, err := lookPath(b); err != nil {
			return fmt.Sprintf("%s is not installed (apt-get install -y iproute2 util-linux)", b)
		}
	}
	if !PMIxPlugin() {
		return "Slurm's PMIx plugin is not installed (slurm-wlm's mpi_pmix)"
	}
	return ""
}

// StartNodes builds a cluster of n nodes with script (the path of
// scripts/cluster/cluster.sh from the test's folder) and returns once every
// node is idle. It skips the test when MissingNodes says so (fails instead
// when RequireEnv is 1), and removes the cluster when the test ends (all its
// namespaces and processes, and its folder), printing the tails of its logs
// first when the test failed.
func StartNodes(t testing.TB, script string, n int) *Nodes {
	t.Helper()
	if why := MissingNodes(); why != "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("slurmtest: cannot start a multi-node Slurm cluster: %s (%s=1)", why, RequireEnv)
		}
		t.Skipf("slurmtest: no multi-node Slurm cluster: %s", why)
	}
	script, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cgnodes-") // short: the munge socket path is limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	c := &Nodes{Cluster: &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), CPUs: 2, MPI: "pmix",
		prefix: []string{script, "exec", dir, "head"}}, script: script}
	start := time.Now()
	if out, err := exec.Command(script, "up", dir, fmt.Sprint(n)).CombinedOutput(); err != nil {
		os.RemoveAll(dir) // up removed all it made but the folder, on failure
		t.Fatalf("slurmtest: %s up %s %d: %v\n%s", script, dir, n, err, out)
	}
	t.Cleanup(func() { c.down(t) })
	if c.Names, err = c.readNames(); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	c.Env = strings.Fields(string(env))
	c.Node = c.Names[0]
	t.Logf("slurmtest: %d nodes up in %s (%v): %v", n, dir, time.Since(start).Round(time.Millisecond), c.Names)
	return c
}

// readNames returns the nodes' hostnames as sinfo lists them.
func (c *Nodes) readNames() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.command(ctx, "sinfo", "-h", "-N", "-o", "%N")
	if err != nil {
		return nil, err
	}
	names := strings.Fields(out)
	if len(names) < 2 {
		return nil, fmt.Errorf("slurmtest: sinfo lists nodes %q, want at least 2", out)
	}
	return names, nil
}

// Command returns a command that runs program in the head namespace, with
// the cluster's environment (Env) added to the test's: a login node, where
// jobs are submitted.
func (c *Nodes) Command(program string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.script, append([]string{"exec", c.Dir, "head", program}, args...)...)
	cmd.Env = append(os.Environ(), c.Env...)
	return cmd
}

// KillNode kills every process of node i (0-based) with SIGKILL at once:
// its slurmd, step daemons and ranks, as a node that loses power.
func (c *Nodes) KillNode(t testing.TB, i int) {
	t.Helper()
	if out, err := exec.Command(c.script, "kill-node", c.Dir, fmt.Sprintf("node%d", i+1)).CombinedOutput(); err != nil {
		t.Fatalf("slurmtest: kill-node %s: %v\n%s", c.Names[i], err, out)
	}
}

// StartNode starts the slurmd of node i again, clean (as after a reboot).
func (c *Nodes) StartNode(t testing.TB, i int) {
	t.Helper()
	if out, err := exec.Command(c.script, "start-node", c.Dir, fmt.Sprintf("node%d", i+1)).CombinedOutput(); err != nil {
		t.Fatalf("slurmtest: start-node %s: %v\n%s", c.Names[i], err, out)
	}
}

// Logs returns the last lines of every log of the cluster.
func (c *Nodes) Logs() string {
	var b strings.Builder
	paths, _ := filepath.Glob(filepath.Join(c.Dir, "*.log"))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		var lines []string
		for s := bufio.NewScanner(f); s.Scan(); {
			if lines = append(lines, s.Text()); len(lines) > 40 {
				lines = lines[1:]
			}
		}
		f.Close()
		fmt.Fprintf(&b, "==> %s <==\n%s\n", p, strings.Join(lines, "\n"))
	}
	return b.String()
}

// down removes the cluster: every process in its namespaces ends with them.
func (c *Nodes) down(t testing.TB) {
	if t.Failed() {
		t.Logf("slurmtest: logs of the cluster:\n%s", c.Logs())
	}
	if out, err := exec.Command(c.script, "down", c.Dir).CombinedOutput(); err != nil {
		t.Errorf("slurmtest: %s down %s: %v\n%s", c.script, c.Dir, err, out)
	}
}

package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runScript runs scripts/cluster.sh with our binaries and returns what it printed and its exit
// status.
func runScript(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, args...)
	// The cluster the tests expect, whatever the caller's environment says.
	cmd.Env = append(os.Environ(), "CLUSTER_BIN="+binDir, "CLUSTER_NODES=2", "CLUSTER_SHARDS=8", "CLUSTER_DYNAMIC_CONFIG=")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// A server that kept our stdout would hold Run until it exits: the script must not let it.
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("cluster.sh %v: %v (stderr %q)", args, err, errOut.String())
	}
	return out.String(), errOut.String(), code
}

// mustRun runs scripts/cluster.sh and returns its stdout, failing the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runScript(t, nil, args...)
	if code != 0 {
		t.Fatalf("cluster.sh %v: exit %d: %s", args, code, stderr)
	}
	return stdout
}

// parseNodes reads up's node<N>=<address> lines, node 1 first.
func parseNodes(t *testing.T, stdout string) []string {
	t.Helper()
	var nodes []string
	for i, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		addr, ok := strings.CutPrefix(line, fmt.Sprintf("node%d=127.0.0.1:", i+1))
		if _, err := strconv.Atoi(addr); !ok || err != nil {
			t.Fatalf("up printed %q, want node<N>=127.0.0.1:<port> lines", stdout)
		}
		nodes = append(nodes, "127.0.0.1:"+addr)
	}
	return nodes
}

// testCluster is a cluster that scripts/cluster.sh runs in dir.
type testCluster struct {
	t     *testing.T
	dir   string
	nodes []string // frontend addresses, node 1 first
}

// upCluster runs `up` in a new folder and stops the cluster, whatever is left of it, at cleanup.
// The folder is not t.TempDir(): PostgreSQL runs as another user when the test runs as root,
// and must reach it, which a 0700 parent would forbid.
func upCluster(t *testing.T) *testCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "cluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &testCluster{t: t, dir: dir}
	t.Cleanup(c.cleanup)
	start := time.Now()
	c.nodes = parseNodes(t, mustRun(t, "up", dir))
	t.Logf("up (cold): %v", time.Since(start).Round(time.Millisecond))
	return c
}

func (c *testCluster) cleanup() {
	if c.t.Failed() {
		for _, log := range []string{"setup.log", "node1/temporal.log", "node2/temporal.log", "postgres/postgres.log"} {
			c.t.Logf("last lines of %s:\n%s", log, lastLines(filepath.Join(c.dir, log), 5))
		}
	}
	if _, stderr, code := runScript(c.t, nil, "down", c.dir); code != 0 {
		c.t.Errorf("down at cleanup: %s", stderr)
	}
	for _, pid := range mentioning(c.dir) {
		c.t.Errorf("pid %d still runs after down: %s", pid, cmdline(pid))
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	os.RemoveAll(c.dir)
}

// serverPids are the pids of the nodes' servers, node 1 first; 0 for a node that is not running.
func (c *testCluster) serverPids() []int {
	pids := make([]int, len(c.nodes))
	for i := range c.nodes {
		b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("node%d", i+1), "temporal.pid"))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && alive(pid) {
			pids[i] = pid
		}
	}
	return pids
}

// processes are the cluster's processes: the servers, the postmaster and its children.
func (c *testCluster) processes() map[int]string {
	procs := map[int]string{}
	for i, pid := range c.serverPids() {
		if pid != 0 {
			procs[pid] = fmt.Sprintf("node %d", i+1)
		}
	}
	b, err := os.ReadFile(filepath.Join(c.dir, "postgres", "data", "postmaster.pid"))
	if err != nil {
		c.t.Fatalf("PostgreSQL's pid: %v", err)
	}
	postmaster, _ := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	procs[postmaster] = "postmaster"
	for _, pid := range children(postmaster) {
		procs[pid] = cmdline(pid) // "postgres: checkpointer", say
	}
	return procs
}

// down runs `down` and checks that every process of the cluster has ended.
func (c *testCluster) down() {
	c.t.Helper()
	procs := c.processes()
	start := time.Now()
	mustRun(c.t, "down", c.dir)
	c.t.Logf("down: %v, %d processes", time.Since(start).Round(time.Millisecond), len(procs))
	for pid, what := range procs {
		if alive(pid) {
			c.t.Errorf("%s (pid %d) still runs after down", what, pid)
		}
	}
	if left := mentioning(c.dir); len(left) > 0 {
		c.t.Errorf("processes still run with %s in their command line: %v", c.dir, left)
	}
}

// up runs `up` again on the cluster's folder, with env ("NAME=value") added, once down has
// stopped it, and checks that it serves the same nodes.
func (c *testCluster) up(env ...string) {
	c.t.Helper()
	start := time.Now()
	stdout, stderr, code := runScript(c.t, env, "up", c.dir)
	if code != 0 {
		c.t.Fatalf("cluster.sh up %s: exit %d: %s", c.dir, code, stderr)
	}
	if nodes := parseNodes(c.t, stdout); !slices.Equal(nodes, c.nodes) {
		c.t.Fatalf("up printed %v, want %v", nodes, c.nodes)
	}
	c.t.Logf("up (warm): %v", time.Since(start).Round(time.Millisecond))
}

// awaitMembers waits until every node counts every node in the ring of each service: until
// then the nodes may disagree on who owns a shard or a task queue's partition.
func (c *testCluster) awaitMembers() {
	c.t.Helper()
	for _, addr := range c.nodes {
		awaitMembers(c.t, addr, len(c.nodes))
	}
}

// node runs a node command of scripts/cluster.sh (kill-node, stop-node, start-node) on node n,
// from 1, and returns how long it took.
func (c *testCluster) node(command string, n int) time.Duration {
	c.t.Helper()
	start := time.Now()
	mustRun(c.t, command, c.dir, strconv.Itoa(n))
	return time.Since(start)
}

// restartDB stops PostgreSQL for the given time and starts it again (restart-db), and returns
// how long it took.
func (c *testCluster) restartDB(down time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	mustRun(c.t, "restart-db", c.dir, strconv.Itoa(int(down.Seconds())))
	return time.Since(start)
}

// cpu is the CPU time that the servers and PostgreSQL's processes have used so far. A process
// that has ended no longer counts.
func (c *testCluster) cpu() (servers, postgres time.Duration) {
	for pid, what := range c.processes() {
		if strings.HasPrefix(what, "node ") {
			servers += cpuTime(pid)
		} else {
			postgres += cpuTime(pid)
		}
	}
	return servers, postgres
}

// logMemory logs the resident and proportional set size of each server and of PostgreSQL (the
// postmaster, then its other processes together): PostgreSQL's processes share its buffers,
// which RSS counts in each and PSS splits between them.
func (c *testCluster) logMemory() {
	var lines []string
	var rss, pss, pgRSS, pgPSS, pgProcs int
	for pid, what := range c.processes() {
		r, p := memory(pid)
		rss, pss = rss+r, pss+p
		if strings.HasPrefix(what, "postgres") {
			pgRSS, pgPSS, pgProcs = pgRSS+r, pgPSS+p, pgProcs+1
			continue
		}
		lines = append(lines, fmt.Sprintf("%7d kB RSS %7d kB PSS  %s", r, p, what))
	}
	slices.Sort(lines)
	lines = append(lines, fmt.Sprintf("%7d kB RSS %7d kB PSS  %d other PostgreSQL processes", pgRSS, pgPSS, pgProcs),
		fmt.Sprintf("%7d kB RSS %7d kB PSS  in all", rss, pss))
	c.t.Logf("memory:\n%s", strings.Join(lines, "\n"))
}

// checkDynamicConfigLoaded checks in each node's log that its server took in every key of the
// dynamic config we ship.
func (c *testCluster) checkDynamicConfigLoaded() {
	c.t.Helper()
	b, err := os.ReadFile(dynamicConfig)
	if err != nil {
		c.t.Fatal(err)
	}
	var keys []string
	for _, line := range strings.Split(string(b), "\n") {
		if key, ok := strings.CutSuffix(line, ":"); ok && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, " ") {
			keys = append(keys, key)
		}
	}
	for i := range c.nodes {
		log, err := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("node%d", i+1), "temporal.log"))
		if err != nil {
			c.t.Fatal(err)
		}
		for _, key := range keys {
			// The server logs each key it loads, lower-cased.
			if !strings.Contains(string(log), "dynamic config changed for the key: "+strings.ToLower(key)+" ") {
				c.t.Errorf("node %d: its log does not show %s loaded from the dynamic config", i+1, key)
			}
		}
	}
	if len(keys) == 0 {
		c.t.Errorf("%s: no keys", dynamicConfig)
	}
}

// validateDynamicConfig runs temporal-server validate-dynamic-config on file and returns the
// errors and warnings it printed.
func validateDynamicConfig(t *testing.T, file string) []string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "temporal-server"), "validate-dynamic-config", file).CombinedOutput()
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line = strings.TrimSpace(line); line != "" && line != file {
			problems = append(problems, line)
		}
	}
	if err != nil {
		problems = append(problems, "exit: "+err.Error())
	}
	return problems
}

// lastLines is the end of a file, each line cut to 300 bytes (the server logs JSON lines).
func lastLines(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines = lines[max(0, len(lines)-n):]
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "..."
		}
	}
	return strings.Join(lines, "\n")
}

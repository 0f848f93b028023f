package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
)

// clusterStack is our worker against a local Temporal cluster: the nodes of scripts/cluster.sh
// (Temporal's own server, every service in each) on PostgreSQL, in a fresh folder per run as
// the devserver gets a fresh file. The worker and the benchmark's client dial node 1; its
// frontend reaches the history shards of both nodes. CPU is counted per node, for PostgreSQL
// (the postmaster and every backend below it) and for the worker.
type clusterStack struct {
	dir    string
	script string
	env    []string
	// logPath is the script's stderr, beside dir so that it outlives a failed cluster's folder.
	logPath string
	nodes   []string // frontend addresses, node 1 first
	// nodePIDs and pgPID are read from the pid files the script writes under dir.
	nodePIDs []int
	pgPID    int
	shards   int
	worker   *proc
	client   client.Client
}

// isCluster says whether a --systems name runs on the local cluster.
func isCluster(name string) bool { return name == "cluster" || name == "cluster-stock" }

// stockConfig says whether a cluster system runs Temporal's stock dynamic config (an empty file)
// instead of ours (deploy/temporal).
func stockConfig(name string) bool { return name == "cluster-stock" }

// startCluster brings up a cluster in a fresh folder with scripts/cluster.sh, and our worker
// posting to sink.
func startCluster(ctx context.Context, script, binDir, sink string, stock bool) (*clusterStack, error) {
	dir, err := os.MkdirTemp("", "bench-cluster-")
	if err != nil {
		return nil, err
	}
	// PostgreSQL refuses root, so as root the script runs it as another user, who must reach dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(binDir)
	if err != nil {
		return nil, err
	}
	c := &clusterStack{dir: dir, script: script, logPath: dir + "-script.log"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLUSTER_BIN=") && !strings.HasPrefix(kv, "CLUSTER_DYNAMIC_CONFIG=") {
			c.env = append(c.env, kv)
		}
	}
	// Without CLUSTER_DYNAMIC_CONFIG, the script runs ours.
	c.env = append(c.env, "CLUSTER_BIN="+bin)
	if stock {
		// Temporal's defaults: an empty dynamic config.
		empty := filepath.Join(dir, "stock-dynamicconfig.yaml")
		if err := os.WriteFile(empty, nil, 0o644); err != nil {
			return nil, err
		}
		c.env = append(c.env, "CLUSTER_DYNAMIC_CONFIG="+empty)
	}
	if err := c.up(ctx); err != nil {
		c.close()
		return nil, &clusterNotUp{err}
	}
	if c.worker, err = startProc(dir, binDir, "worker", "--address", c.nodes[0], "--sink", sink,
		"--metrics-addr", "", "--log-level", "error"); err != nil {
		c.close()
		return nil, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if c.client, err = client.DialContext(dialCtx, client.Options{HostPort: c.nodes[0], Logger: quietLogger()}); err != nil {
		c.close()
		return nil, fmt.Errorf("cluster node 1 at %s: %w", c.nodes[0], err)
	}
	return c, nil
}

// clusterNotUp is the error of a cluster that did not come up.
type clusterNotUp struct{ err error }

func (e *clusterNotUp) Error() string { return "the local cluster did not come up: " + e.err.Error() }
func (e *clusterNotUp) Unwrap() error { return e.err }

// up runs `cluster.sh up`, once more if the first fails: on a fresh folder the nodes can race to
// write the cluster's metadata, and the loser exits; the second up finds it written.
func (c *clusterStack) up(ctx context.Context) error {
	var out []byte
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		if out, err = c.run(ctx, "up", c.dir); err == nil {
			break
		}
		progress("cluster up in %s failed (attempt %d): %v", c.dir, attempt, err)
	}
	if err != nil {
		return err
	}
	if c.nodes, err = parseNodes(out); err != nil {
		return err
	}
	for n := 1; n <= len(c.nodes); n++ {
		pid, err := readPIDFile(filepath.Join(c.dir, fmt.Sprintf("node%d", n), "temporal.pid"))
		if err != nil {
			return fmt.Errorf("cluster node %d: %w", n, err)
		}
		c.nodePIDs = append(c.nodePIDs, pid)
	}
	if c.pgPID, err = readPIDFile(filepath.Join(c.dir, "postgres", "data", "postmaster.pid")); err != nil {
		return fmt.Errorf("cluster PostgreSQL: %w", err)
	}
	env, err := os.ReadFile(filepath.Join(c.dir, "cluster.env"))
	if err != nil {
		return err
	}
	c.shards = envInt(string(env), "shards")
	return nil
}

// run runs the cluster script, its stderr appended to logPath; it returns its stdout.
func (c *clusterStack) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.script, args...)
	cmd.Env = c.env
	log, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w (see %s)", c.script, strings.Join(args, " "), err, log.Name())
	}
	return stdout.Bytes(), nil
}

// parseNodes reads the node<N>=<address> lines that `cluster.sh up` prints, in node order.
func parseNodes(out []byte) ([]string, error) {
	nodeLine := regexp.MustCompile(`^node([1-9])=(\S+)$`)
	byNode := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := nodeLine.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			n, _ := strconv.Atoi(m[1])
			byNode[n] = m[2]
		}
	}
	nodes := make([]string, 0, len(byNode))
	for n := 1; n <= len(byNode); n++ {
		addr, ok := byNode[n]
		if !ok {
			return nil, fmt.Errorf("cluster up printed nodes %v: node %d is missing", byNode, n)
		}
		nodes = append(nodes, addr)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("cluster up printed no node<N>=<address> line: %q", out)
	}
	return nodes, nil
}

// envInt is the whole number of a name=value line of a shell env file, 0 if none.
func envInt(env, name string) int {
	for _, line := range strings.Split(env, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// cpu is each node's, PostgreSQL's and the worker's CPU time so far.
func (c *clusterStack) cpu() map[string]time.Duration {
	m := map[string]time.Duration{"postgres": processTreeCPU(c.pgPID), "worker": c.worker.cpu()}
	for i, pid := range c.nodePIDs {
		m[fmt.Sprintf("node%d", i+1)] = pidCPU(pid)
	}
	return m
}

// rss is each node's and the worker's resident memory. PostgreSQL's is left out: its processes
// share their buffers, so their sum would count those many times.
func (c *clusterStack) rss() map[string]float64 {
	m := map[string]float64{"worker": c.worker.rssMiB()}
	for i, pid := range c.nodePIDs {
		m[fmt.Sprintf("node%d", i+1)] = pidRSSMiB(pid)
	}
	return m
}

func (c *clusterStack) start(ctx context.Context, n int, interval time.Duration, first time.Time) error {
	return startSources(ctx, c.client, n, interval, first)
}

// close stops the worker and the cluster, and removes its folder; a cluster that does not stop
// is left there, and said so.
func (c *clusterStack) close() {
	if c.client != nil {
		c.client.Close()
	}
	if c.worker != nil {
		c.worker.stop(syscall.SIGTERM)
	}
	if _, err := c.run(context.Background(), "down", c.dir); err != nil {
		progress("cluster in %s left running: %v", c.dir, err)
		return
	}
	_ = os.RemoveAll(c.dir)
	_ = os.Remove(c.logPath)
}

// clusterNote describes the cluster a run used, for the report's notes.
func clusterNote(name string, c *clusterStack) string {
	config := "our dynamic config (deploy/temporal/dynamicconfig.yaml)"
	if stockConfig(name) {
		config = "Temporal's stock dynamic config (an empty file)"
	}
	return fmt.Sprintf("%s: scripts/cluster.sh, %d nodes (every service in each), %d history shards, PostgreSQL, %s; worker and client on node 1",
		name, len(c.nodes), c.shards, config)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

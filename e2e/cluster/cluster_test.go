package cluster_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/internal/searchattr"
)

func TestUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		env  []string
		args []string
		want string // in the one line on stderr
	}{
		{"no command", nil, nil, "missing command"},
		{"unknown command", nil, []string{"start", empty}, `unknown command "start"`},
		{"no DIR", nil, []string{"up"}, "up: missing DIR"},
		{"no N", nil, []string{"kill-node", empty}, "kill-node: missing N"},
		{"no N to stop", nil, []string{"stop-node", empty}, "stop-node: missing N"},
		{"SECONDS not a number", nil, []string{"restart-db", empty, "5s"}, `restart-db: invalid SECONDS "5s"`},
		{"SECONDS too many", nil, []string{"restart-db", empty, "601"}, `restart-db: invalid SECONDS "601"`},
		{"extra SECONDS", nil, []string{"restart-db", empty, "1", "2"}, `restart-db: unexpected argument "2"`},
		{"restart-db, no cluster in DIR", nil, []string{"restart-db", empty}, `restart-db: invalid DIR "` + empty + `": no cluster there`},
		{"extra argument", nil, []string{"down", empty, "now"}, `down: unexpected argument "now"`},
		{"DIR missing", nil, []string{"down", filepath.Join(empty, "nope")}, `down: invalid DIR "` + filepath.Join(empty, "nope") + `": no such folder`},
		{"no cluster in DIR", nil, []string{"start-node", empty, "1"}, `start-node: invalid DIR "` + empty + `": no cluster there`},
		{"one node", []string{"CLUSTER_NODES=1"}, []string{"up", t.TempDir()}, `up: invalid CLUSTER_NODES "1": must be 2 to 9`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runScript(t, tt.env, tt.args...)
			if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("cluster.sh %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q",
					tt.args, code, stdout, stderr, tt.want)
			}
		})
	}
}

// TestDynamicConfigValid runs Temporal's own check on the dynamic config we ship. The check exits 0
// on an unknown key or a value of the wrong type too, printing a warning: any line it prints
// beyond the file's name fails the test.
func TestDynamicConfigValid(t *testing.T) {
	if problems := validateDynamicConfig(t, dynamicConfig); len(problems) > 0 {
		t.Errorf("deploy/temporal/dynamicconfig.yaml:\n%s", strings.Join(problems, "\n"))
	}
	// The check finds what it should: a misspelt key and a value of the wrong type.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("history.timerProcessorMaxTimeShfit:\n  - value: 10ms\n"+
		"history.timerProcessorMaxPollRPS:\n  - value: fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := validateDynamicConfig(t, bad); len(problems) != 2 {
		t.Errorf("validate-dynamic-config on a misspelt key and a bad value: %q, want 2 problems", problems)
	}
}

// TestCluster starts a two-node cluster, checks it through both nodes, kills node 1 and checks
// that node 2 alone serves, starts node 1 again, and stops everything.
func TestCluster(t *testing.T) {
	if pgMissing != "" {
		t.Skip(pgMissing)
	}
	c := upCluster(t)
	if len(c.nodes) != 2 {
		t.Fatalf("up printed %d nodes, want 2", len(c.nodes))
	}
	clients := make([]client.Client, len(c.nodes))
	for i, addr := range c.nodes {
		clients[i] = dial(t, addr)
		checkNamespace(t, clients[i], addr)
	}
	for _, addr := range c.nodes {
		awaitMembers(t, addr, 2)
	}
	c.checkDynamicConfigLoaded()

	// A second up finds the cluster running and starts nothing.
	servers := c.serverPids()
	stdout, stderr, code := runScript(t, nil, "up", c.dir)
	if code != 0 || !strings.Contains(stderr, "already running") || !slices.Equal(parseNodes(t, stdout), c.nodes) {
		t.Errorf("second up: exit %d, stdout %q, stderr %q; want the same nodes and \"already running\"", code, stdout, stderr)
	}
	if now := c.serverPids(); !slices.Equal(now, servers) {
		t.Errorf("second up: servers %v, want still %v", now, servers)
	}
	for _, args := range [][]string{{"kill-node", c.dir, "3"}, {"start-node", c.dir, "x"}, {"stop-node", c.dir, "0"}} {
		if _, stderr, code := runScript(t, nil, args...); code != 2 || !strings.Contains(stderr, "must be a node number from 1 to 2") {
			t.Errorf("cluster.sh %v: exit %d, stderr %q; want exit 2 and the valid node numbers", args, code, stderr)
		}
	}

	// A worker on node 2 runs the workflows that each phase starts through one node or the other.
	w := worker.New(clients[1], taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(smoke, smokeOptions)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	runWorkflows(t, clients[0], "both", 8, 30*time.Second)
	c.logMemory()

	// Node 1 dies: node 2 takes its shards and serves alone.
	killed := c.serverPids()[0]
	mustRun(t, "kill-node", c.dir, "1")
	if alive(killed) {
		t.Errorf("node 1 (pid %d) still runs after kill-node", killed)
	}
	for _, command := range []string{"kill-node", "stop-node"} {
		if _, stderr, code := runScript(t, nil, command, c.dir, "1"); code != 1 || !strings.Contains(stderr, "node 1 is not running") {
			t.Errorf("%s of a dead node: exit %d, stderr %q; want exit 1, not running", command, code, stderr)
		}
	}
	start := time.Now()
	runWorkflows(t, clients[1], "alone", 16, 60*time.Second)
	t.Logf("with node 1 killed, 16 workflows through node 2 done in %v", time.Since(start).Round(time.Millisecond))
	awaitMembers(t, c.nodes[1], 1)

	// Node 1 comes back and serves again.
	start = time.Now()
	if out := mustRun(t, "start-node", c.dir, "1"); strings.TrimSpace(out) != "node1="+c.nodes[0] {
		t.Errorf("start-node printed %q, want node1=%s", out, c.nodes[0])
	}
	t.Logf("start-node 1: %v", time.Since(start).Round(time.Millisecond))
	awaitMembers(t, c.nodes[0], 2)
	// Usually 1-3 s. Once, in CI, a workflow took over 30 s. Our reading, not verified: the
	// worker polls through node 2 only, and a task queue partition that moved back to node 1
	// gets its polls only once the long polls held by node 2's matching end, up to a minute
	// later. Sources, with a worker on each node, resumed within 3.4 s (sources_test.go).
	start = time.Now()
	runWorkflows(t, clients[0], "again", 8, 90*time.Second)
	t.Logf("node 1 back: 8 workflows through node 1 done in %v", time.Since(start).Round(time.Millisecond))

	// down stops everything, and up on the same folder brings the same cluster back.
	c.down()
	start = time.Now()
	if nodes := parseNodes(t, mustRun(t, "up", c.dir)); !slices.Equal(nodes, c.nodes) {
		t.Errorf("warm up printed %v, want %v", nodes, c.nodes)
	}
	t.Logf("up (warm): %v", time.Since(start).Round(time.Millisecond))
	checkNamespace(t, dial(t, c.nodes[1]), c.nodes[1])
	c.down()
}

// checkNamespace checks, through the node at addr, that namespace default exists with our search
// attributes.
func checkNamespace(t *testing.T, c client.Client, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"}); err != nil {
		t.Fatalf("node %s: describe namespace default: %v", addr, err)
	}
	resp, err := c.OperatorService().ListSearchAttributes(ctx, operatorListRequest())
	if err != nil {
		t.Fatalf("node %s: list search attributes: %v", addr, err)
	}
	if missing := searchattr.Missing(resp.GetCustomAttributes()); len(missing) > 0 {
		t.Errorf("node %s: namespace default lacks search attributes %v (has %v)", addr, missing,
			slices.Sorted(maps.Keys(resp.GetCustomAttributes())))
	}
}

package cluster_test

// Our binaries against the cluster: workers as processes, the starter as a command, and what
// its describe and list print.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/workflows"
)

// workerProc is a worker binary that runs until the test ends, or until stopped.
type workerProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startWorker runs a worker connected to the node at addr, posting to sinkURL.
func startWorker(t *testing.T, addr, taskQueue, sinkURL string) *workerProc {
	t.Helper()
	log, err := os.CreateTemp(t.TempDir(), "worker-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "worker"), "--address", addr, "--task-queue", taskQueue,
		"--sink", sinkURL, "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log.Close()
	w := &workerProc{t: t, cmd: cmd, log: log.Name(), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.done
		if t.Failed() {
			t.Logf("last lines of the worker on %s:\n%s", addr, lastLines(w.log, 8))
		}
	})
	return w
}

// stop sends SIGTERM and waits for the worker to exit.
func (w *workerProc) stop() {
	w.t.Helper()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		w.t.Errorf("worker %d did not stop within 30 s of SIGTERM", w.cmd.Process.Pid)
	}
}

// starter runs the starter against the node at addr and returns its output and whether it
// exited 0.
func starter(addr string, args ...string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "starter"), append(args, "--address", addr)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// mustStarter is starter that fails the test unless the starter exits 0.
func mustStarter(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, ok := starter(addr, args...)
	if !ok {
		t.Fatalf("starter %v --address %s: %s", args, addr, out)
	}
	return out
}

// startSources starts a source per id ticking every interval on taskQueue, through the nodes
// in turn: the first id through nodes[0], the second through nodes[1], and so on. A few start
// at once.
func startSources(t *testing.T, nodes []string, taskQueue string, interval time.Duration, ids []string) {
	t.Helper()
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	errs := make([]string, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			addr := nodes[i%len(nodes)]
			if out, ok := starter(addr, "start", "--workflow-id", id, "--task-queue", taskQueue, "--interval", interval.String()); !ok {
				errs[i] = fmt.Sprintf("start %s through %s: %s", id, addr, out)
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// stopSources stops each source at once (stop --now) through the node at addr.
func stopSources(t *testing.T, addr string, ids []string) {
	t.Helper()
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	for _, id := range ids {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if out, ok := starter(addr, "stop", "--workflow-id", id, "--now"); !ok {
				t.Errorf("stop %s: %s", id, out)
			}
		})
	}
	wg.Wait()
}

// report is what the tests read of `starter describe --output json` and of each entry of
// `starter list --output json`: the source's status and where it came from.
type report struct {
	workflows.Status
	Execution  string `json:"execution"`
	StatusFrom string `json:"statusFrom"`
}

func describe(t *testing.T, addr, id string) report {
	t.Helper()
	out := mustStarter(t, addr, "describe", "--workflow-id", id, "--output", "json")
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("describe %s through %s: %v\n%s", id, addr, err, out)
	}
	return r
}

// list is `starter list --output json` with args through the node at addr, by workflow id.
func list(t *testing.T, addr string, args ...string) map[string]report {
	t.Helper()
	out := mustStarter(t, addr, append([]string{"list", "--output", "json"}, args...)...)
	var l []report
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("list %v through %s: %v\n%s", args, addr, err, out)
	}
	by := map[string]report{}
	for _, r := range l {
		by[r.WorkflowID] = r
	}
	return by
}

// eventually polls cond until it holds, and fails the test if it does not within the given time.
func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for wait := 10 * time.Millisecond; !cond(); wait = min(2*wait, 250*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(wait)
	}
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hello-cron/cronsource/devserver/freeport"
	"github.com/hello-cron/cronsource/devserver/temporalite/temporalitetest"
	"github.com/hello-cron/cronsource/internal/cmdtest"
	"github.com/hello-cron/cronsource/workflows"
)

// The worker command, run in process against an in-process Temporal server, becomes ready once
// it polls, delivers every tick of a source to the sink (the worker's, from --sink or K_SINK, or
// the source's own), in order and once each, and stops cleanly when its context ends.
func TestWorkerDeliversTicksUntilCancelled(t *testing.T) {
	addr := temporalitetest.Start(t)
	sink := cmdtest.NewSink(t)
	c := dialTemporal(t, addr)
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		sourceSink string // the source's own sink; empty: the worker's
		path       string // where on sink the ticks arrive
	}{
		{name: "--sink", args: []string{"--sink", sink.URL + "/flag"}, path: "/flag"},
		{name: "K_SINK", env: map[string]string{"K_SINK": sink.URL + "/k-sink"}, path: "/k-sink"},
		{name: "the source's own sink", sourceSink: sink.URL + "/own", path: "/own"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			taskQueue := fmt.Sprintf("worker-inprocess-%d", i)
			metrics := reservedAddr(t)
			w := startWorkerCommand(t, tt.env, append([]string{"--address", addr, "--task-queue", taskQueue,
				"--metrics-addr", metrics, "--log-format", "json"}, tt.args...)...)
			w.waitFor(t, "http://"+metrics+"/readyz", http.StatusOK)

			id := fmt.Sprintf("worker-inprocess-%d", i)
			opts := workflows.StartOptions(id, taskQueue)
			cfg := workflows.Config{Interval: 100 * time.Millisecond, MaxTicks: 3, Sink: tt.sourceSink}
			run, err := c.ExecuteWorkflow(t.Context(), opts, workflows.CronSource, workflows.Input{Config: cfg})
			if err != nil {
				t.Fatalf("start source %s: %v", id, err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if err := run.Get(ctx, nil); err != nil { // it ends after MaxTicks
				t.Fatalf("source %s: %v; worker logs:\n%s", id, err, w.logs)
			}
			if got, err := sink.Sequences(tt.path); err != nil || !slices.Equal(got, []int64{1, 2, 3}) {
				t.Errorf("ticks at %s: sequences %v (%v), want [1 2 3]", tt.path, got, err)
			}

			w.stop(t)
			if _, ok := cmdtest.FindLog(w.logs.String(), "worker stopped"); !ok {
				t.Errorf("no \"worker stopped\" line in the logs:\n%s", w.logs)
			}
			if resp, err := http.Get("http://" + metrics + "/healthz"); err == nil {
				resp.Body.Close()
				t.Errorf("GET /healthz after the worker stopped: %d, want no answer", resp.StatusCode)
			}
		})
	}
}

// workerCommand is the worker command running in this process.
type workerCommand struct {
	cancel context.CancelFunc
	logs   *cmdtest.SyncBuffer
	done   chan struct{} // closed once the command has returned err
	err    error
	once   sync.Once // stop checks the return once
}

// startWorkerCommand runs the worker command with args and env until the test stops it, or
// ends.
func startWorkerCommand(t *testing.T, env map[string]string, args ...string) *workerCommand {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	w := &workerCommand{cancel: cancel, logs: new(cmdtest.SyncBuffer), done: make(chan struct{})}
	cmd := newCommand(cmdtest.Lookup(env), w.logs)
	cmd.SetArgs(args)
	go func() {
		defer close(w.done)
		w.err = cmd.ExecuteContext(ctx)
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// waitFor polls url until it answers status, failing the test if the command returns first or
// after 20 s.
func (w *workerCommand) waitFor(t *testing.T, url string, status int) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.After(20 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		select {
		case <-w.done:
			t.Fatalf("worker returned %v before %s answered %d; logs:\n%s", w.err, url, status, w.logs)
		case <-deadline:
			t.Fatalf("%s did not answer %d within 20 s (last: %v); logs:\n%s", url, status, err, w.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop cancels the command's context, as SIGTERM does, and checks that it returns nil.
func (w *workerCommand) stop(t *testing.T) {
	t.Helper()
	w.once.Do(func() { w.checkStop(t) })
}

func (w *workerCommand) checkStop(t *testing.T) {
	t.Helper()
	w.cancel()
	select {
	case <-w.done:
		if w.err != nil {
			t.Errorf("worker returned %v after its context ended, want nil", w.err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("worker did not return within 20 s of its context ending; logs:\n%s", w.logs)
	}
}

func dialTemporal(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

// reservedAddr is a free address of 127.0.0.1 for a listener the command opens itself.
func reservedAddr(t *testing.T) string {
	t.Helper()
	port, err := freeport.Reserve("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/devserver/temporalite/temporalitetest"
	"github.com/hello-cron/cronsource/internal/cmdtest"
	"github.com/hello-cron/cronsource/workflows"
)

// Every starter command, run in process against an in-process Temporal server and a worker of
// the source workflow, says what it did in one line, or fails in one line; each step runs on the
// source as the steps before it left it.
func TestStarterControlsASource(t *testing.T) {
	env := startTemporalAndWorker(t)
	id := []string{"--workflow-id", "src-1"}
	start := append([]string{"start", "--interval", "200ms", "--sink", env.sink.URL + "/src-1"}, id...)
	steps := []step{
		{name: "start", args: start, want: `^started source "src-1" \(run [\w-]+\) every 200ms\n$`},
		{name: "start again changes nothing", args: start,
			want: `^source "src-1" is already running \(run [\w-]+\); nothing changed\n$`},
		{name: "describe --output json", args: append([]string{"describe", "--output", "json"}, id...),
			check: describedAs(map[string]any{"workflowId": "src-1", "execution": "running", "statusFrom": "query",
				"interval": "200ms", "paused": false})},
		{name: "describe", args: append([]string{"describe"}, id...),
			want: `^source: +src-1\nexecution: +running\nstatus from: +query\nstate: +running\nschedule: +every 200ms\n`},
		{name: "ticks arrive", check: waitForTicks(env.sink, "/src-1", 2)},
		{name: "pause", args: append([]string{"pause", "--reason", "sink maintenance"}, id...), want: `^paused source "src-1"\n$`},
		{name: "describe a paused source", args: append([]string{"describe", "-o", "json"}, id...),
			check: describedAs(map[string]any{"paused": true, "pauseReason": "sink maintenance"})},
		{name: "resume", args: append([]string{"resume"}, id...), want: `^resumed source "src-1"; next tick \S+\n$`},
		{name: "update", args: append([]string{"update", "--interval", "300ms"}, id...),
			want: `^updated source "src-1": every 300ms, next tick \S+\n$`},
		{name: "trigger", args: append([]string{"trigger"}, id...),
			want: `^triggered an extra tick of source "src-1" \(\d+ waiting to be sent\)\n$`},
		{name: "list", args: []string{"list"},
			want: `^WORKFLOW ID +STATE +SCHEDULE +SEQUENCE +NEXT FIRE TIME +STATUS FROM\nsrc-1 +running +every 300ms +\d+ +\S+ +query\n$`},
		{name: "list --output json", args: []string{"list", "--output", "json"}, check: listedAs("src-1")},
		{name: "stop", args: append([]string{"stop", "--now"}, id...), want: `^stopping source "src-1": `,
			check: env.completes("src-1")},
		{name: "ticks came in order, once each", check: inOrder(env.sink, "/src-1")},
		{name: "list after stop", args: []string{"list"}, want: `^WORKFLOW ID [^\n]*\n$`, eventually: true},
		{name: "list --all after stop", args: []string{"list", "--all"}, want: `\nsrc-1 +stopped +every 300ms +\d+ +none \(`,
			eventually: true},
		{name: "pause a source that does not exist", args: []string{"pause", "--workflow-id", "nope"},
			wantErr: `pause source "nope": `},
		{name: "describe a source that does not exist", args: []string{"describe", "--workflow-id", "nope"},
			wantErr: `describe source "nope": `},
		{name: "start with too short an interval", args: []string{"start", "--interval", "50ms"},
			wantErr: `invalid --interval "50ms"`},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { env.run(t, st) }) {
			return // the next steps need this one
		}
	}
}

// step is one starter command and what it must print, or a check of the source between two.
type step struct {
	name    string
	args    []string                             // none: only check
	want    string                               // a regexp the output must match; "" when wantErr
	wantErr string                               // the start of the error; "" for none
	check   func(t *testing.T, out string) error // more checks on the output, or the source
	// eventually runs the command again, for up to 10 s, until its output matches want:
	// list reads the visibility store, which the server updates a moment after the change.
	eventually bool
	// wantStderr is a regexp that what the command logs must match; "": it logs nothing.
	wantStderr string
}

// run runs a step's command, if it has one, and its checks.
func (env *testEnv) run(t *testing.T, st step) {
	t.Helper()
	out, logged := "", ""
	if st.args != nil {
		var err error
		out, logged, err = env.starter(t, st.args...)
		for deadline := time.Now().Add(10 * time.Second); st.eventually && err == nil &&
			!regexp.MustCompile(st.want).MatchString(out) && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			out, logged, err = env.starter(t, st.args...)
		}
		if st.wantStderr == "" && logged != "" || !regexp.MustCompile(st.wantStderr).MatchString(logged) {
			t.Errorf("starter %v logged %q, want a match of %q", st.args, logged, st.wantStderr)
		}
		switch {
		case st.wantErr == "" && err != nil:
			t.Fatalf("starter %v: %v", st.args, err)
		case st.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), st.wantErr) || strings.Contains(err.Error(), "\n")):
			t.Fatalf("starter %v: err %v, want one line starting %q", st.args, err, st.wantErr)
		}
	}
	if st.want != "" && !regexp.MustCompile(st.want).MatchString(out) {
		t.Errorf("starter %v printed %q, want a match of %q", st.args, out, st.want)
	}
	if st.check != nil {
		if err := st.check(t, out); err != nil {
			t.Errorf("starter %v: %v; printed:\n%s", st.args, err, out)
		}
	}
}

// testEnv is an in-process Temporal server with a worker of the source workflow on its own
// task queue, delivering to sink.
type testEnv struct {
	addr, taskQueue string
	client          client.Client
	sink            *cmdtest.Sink
}

func startTemporalAndWorker(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{addr: temporalitetest.Start(t), taskQueue: "starter-inprocess", sink: cmdtest.NewSink(t)}
	c, err := client.Dial(client.Options{HostPort: env.addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("dial %s: %v", env.addr, err)
	}
	t.Cleanup(c.Close)
	env.client = c
	w := worker.New(c, env.taskQueue, workflows.WorkerOptions())
	workflows.Register(w, activities.New(&http.Client{Timeout: 5 * time.Second}, "", nil))
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)
	return env
}

// starter runs the starter command with args against env, and returns what it printed and what
// it logged.
func (env *testEnv) starter(t *testing.T, args ...string) (stdout, stderr string, _ error) {
	t.Helper()
	var out, logged bytes.Buffer
	cmd := newRootCommand(func(string) (string, bool) { return "", false }, &out, &logged)
	cmd.SetArgs(append(slices.Clone(args), "--address", env.addr, "--task-queue", env.taskQueue, "--connect-timeout", "10s"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), logged.String(), err
}

// completes waits up to 10 s for the source's workflow to complete.
func (env *testEnv) completes(id string) func(*testing.T, string) error {
	return func(t *testing.T, _ string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		return env.client.GetWorkflow(ctx, id, "").Get(ctx, nil)
	}
}

// describedAs checks that describe --output json printed these fields with these values.
func describedAs(want map[string]any) func(*testing.T, string) error {
	return func(_ *testing.T, out string) error {
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		return nil
	}
}

// listedAs checks that list --output json printed exactly these sources, running.
func listedAs(ids ...string) func(*testing.T, string) error {
	return func(_ *testing.T, out string) error {
		var got []struct {
			WorkflowID string `json:"workflowId"`
			Execution  string `json:"execution"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		var listed []string
		for _, s := range got {
			if s.Execution != "running" {
				return fmt.Errorf("source %s is %s, want running", s.WorkflowID, s.Execution)
			}
			listed = append(listed, s.WorkflowID)
		}
		if !slices.Equal(listed, ids) {
			return fmt.Errorf("listed %v, want %v", listed, ids)
		}
		return nil
	}
}

// waitForTicks waits up to 10 s for n ticks at path.
func waitForTicks(s *cmdtest.Sink, path string, n int) func(*testing.T, string) error {
	return func(*testing.T, string) error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			seqs, err := s.Sequences(path)
			switch {
			case err != nil:
				return err
			case len(seqs) >= n:
				return nil
			case time.Now().After(deadline):
				return fmt.Errorf("%d ticks at %s within 10 s, want %d", len(seqs), path, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// inOrder checks that the ticks at path are 1, 2, 3 and so on: none lost, none twice.
func inOrder(s *cmdtest.Sink, path string) func(*testing.T, string) error {
	return func(*testing.T, string) error {
		seqs, err := s.Sequences(path)
		if err != nil {
			return err
		}
		for i, seq := range seqs {
			if seq != int64(i+1) {
				return fmt.Errorf("sequences %v: want 1, 2, 3, ...", seqs)
			}
		}
		return nil
	}
}

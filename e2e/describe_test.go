package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// waitExecution waits until the server has the source's latest run in status want.
func waitExecution(t *testing.T, c client.Client, id string, want enumspb.WorkflowExecutionStatus) {
	t.Helper()
	eventually(t, id+" is "+want.String(), 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() == want
	})
}

// TestDescribeShowsASourceThatTemporalClosed terminates one source and cancels another with
// Temporal's own client: describe must say so, with the source finished and no next fire
// time, not "running" as its replayed status query would.
func TestDescribeShowsASourceThatTemporalClosed(t *testing.T) {
	t.Parallel()
	addr, sink := startPipeline(t)
	tests := []struct {
		id, execution string
		close         func(ctx context.Context, c client.Client, id string) error
		status        enumspb.WorkflowExecutionStatus
	}{
		{"terminated", "terminated", func(ctx context.Context, c client.Client, id string) error {
			return c.TerminateWorkflow(ctx, id, "", "by the test")
		}, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED},
		// The source returns the cancellation, so its run closes as canceled.
		{"canceled", "canceled", func(ctx context.Context, c client.Client, id string) error {
			return c.CancelWorkflow(ctx, id, "")
		}, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED},
	}
	for _, tt := range tests {
		mustStarter(t, addr, "start", "--workflow-id", tt.id, "--interval", "1s")
	}
	sink.waitFor(t, 4, time.Minute)
	c := dialSDK(t, addr)
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tt.close(ctx, c, tt.id); err != nil {
				t.Fatalf("close %s: %v", tt.id, err)
			}
			waitExecution(t, c, tt.id, tt.status)

			d, out := describeJSON(t, addr, tt.id)
			if d.Execution != tt.execution || !d.Finished || d.NextFireTime != nil || len(d.NextFireTimes) != 0 || d.CloseTime == nil {
				t.Errorf("describe --output json:\n%s\nwant execution %q, finished, a close time and no next fire time", out, tt.execution)
			}
			text := mustStarter(t, addr, "describe", "--workflow-id", tt.id)
			for prefix, want := range map[string]string{
				"execution:": tt.execution, "state:": tt.execution + " at ",
				"next fire time:": "none", "next fire times:": "none",
			} {
				if line := lineStarting(text, prefix); !strings.Contains(line, want) {
					t.Errorf("describe: %q, want %q in it", line, want)
				}
			}
			t.Logf("describe of a %s source:\n%s", tt.execution, text)
		})
	}
}

// lineStarting is the first line of text that starts with prefix, or "".
func lineStarting(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestDescribeAndListAnswerWhileADeliveryStalls: while a tick's first attempt waits on a sink
// that stalls, its workflow task stays open and the server holds the source's queries. describe
// and list must still answer within seconds, saying that the status came from the server.
func TestDescribeAndListAnswerWhileADeliveryStalls(t *testing.T) {
	t.Parallel()
	// The sink answers every POST with its status line and headers, then never sends the
	// body: the worker's delivery waits for its --delivery-timeout.
	sink := newRecorder(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the sink's server closes: it waits for the handlers
	sink.setAnswer(func(arrival) answer { return answer{stall: release} })
	addr := startDevserver(t)
	// The longest first attempt the worker allows: the stall outlasts the commands below.
	startProc(t, "worker", "--address", addr, "--sink", sink.URL, "--delivery-timeout", "25s")
	const id = "stalled"
	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s")
	sink.waitFor(t, 1, time.Minute) // the first tick reaches the sink
	stalled := time.Now()

	const within = 4 * time.Second // the query is bounded to 2 s; the old 5 s timeout failed
	for _, args := range [][]string{
		{"describe", "--workflow-id", id, "--output", "json"},
		{"describe", "--workflow-id", id},
		{"list", "--output", "json"},
		{"list"},
	} {
		began := time.Now()
		out, ok := starter(addr, args...)
		took := time.Since(began)
		t.Logf("%v took %v:\n%s", args, took.Round(time.Millisecond), out)
		if !ok || took > within {
			t.Errorf("%v: ok=%v after %v, want an answer within %v:\n%s", args, ok, took, within, out)
			continue
		}
		switch {
		case args[0] == "describe" && args[len(args)-1] == "json":
			var d report
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("describe: %v\n%s", err, out)
			}
			if d.StatusFrom != "server" || !strings.Contains(d.Note, "workflow task") || d.Execution != "running" ||
				d.AsOfRunStart == nil || d.SearchAttributes["CronSourceSchedule"] != "every 1s" {
				t.Errorf("describe --output json:\n%s\nwant a running execution, its status from the server, why, and its search attributes", out)
			}
		case args[0] == "describe":
			if !strings.Contains(lineStarting(out, "status from:"), "server") || !strings.Contains(out, "as of the run's start") {
				t.Errorf("describe:\n%s\nwant the status from the server, labelled as of the run's start", out)
			}
		case args[len(args)-1] == "json":
			var l []report
			if err := json.Unmarshal([]byte(out), &l); err != nil {
				t.Fatalf("list: %v\n%s", err, out)
			}
			if len(l) != 1 || l[0].WorkflowID != id || l[0].StatusFrom != "server" || l[0].Note == "" {
				t.Errorf("list --output json:\n%s\nwant %s with its status from the server", out, id)
			}
		default:
			if row := lineStarting(out, id+" "); !strings.HasSuffix(strings.TrimSpace(row), "server") {
				t.Errorf("list:\n%s\nwant %s's row to say its status came from the server", out, id)
			}
		}
	}
	if since := time.Since(stalled); since > 20*time.Second {
		t.Fatalf("the commands took %v, more than the stall: the test proves nothing", since)
	}
}

// TestDescribeFallsBackWithoutAWorker: with no worker to answer the status query, describe
// shows what the server knows of the source, says so, and never shows the sink's password.
func TestDescribeFallsBackWithoutAWorker(t *testing.T) {
	t.Parallel()
	sink := newRecorder(t)
	addr := startDevserver(t)
	worker := startProc(t, "worker", "--address", addr, "--sink-credentials", credentialsDir(t, sink.URL, "cron", "s3cret"))
	const id = "orphan"
	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s", "--sink", sink.URL, "--sink-credential", "events-auth")
	sink.waitFor(t, 2, time.Minute)
	mustStarter(t, addr, "pause", "--workflow-id", id, "--reason", "maintenance")
	c := dialSDK(t, addr)
	eventually(t, "CronSourcePaused = true", 10*time.Second, func() bool {
		return len(listed(t, c, "WorkflowId = '"+id+"' AND CronSourcePaused = true")) == 1
	})
	stopProc(t, worker)

	began := time.Now()
	out, ok := starter(addr, "describe", "--workflow-id", id, "--output", "json")
	took := time.Since(began)
	if !ok || took > 4*time.Second {
		t.Fatalf("describe --output json: ok=%v after %v:\n%s", ok, took, out)
	}
	t.Logf("describe --output json with no worker took %v", took.Round(time.Millisecond))
	var d report
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("describe: %v\n%s", err, out)
	}
	if d.StatusFrom != "server" || !strings.Contains(d.Note, "no worker") || d.Execution != "running" || d.Finished ||
		d.AsOfRunStart == nil || d.SearchAttributes["CronSourcePaused"] != true || d.NextFireTime != nil {
		t.Errorf("describe --output json:\n%s\nwant a running execution, its status from the server, why, paused", out)
	}
	text := mustStarter(t, addr, "describe", "--workflow-id", id)
	for _, want := range []string{"status from:", "state:", "next fire time:", "as of the run's start:"} {
		line := lineStarting(text, want)
		if line == "" || (want == "status from:" && !strings.Contains(line, "server (no worker")) ||
			(want == "state:" && !strings.Contains(line, "paused")) || (want == "next fire time:" && !strings.Contains(line, "unknown")) {
			t.Errorf("describe: line %q, in:\n%s", line, text)
		}
	}
	for what, s := range map[string]string{"json": out, "text": text} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("describe (%s) shows the sink's password:\n%s", what, s)
		}
	}
	t.Logf("describe with no worker:\n%s", text)
}

// TestListAllShowsClosedSources: list shows the running sources; list --all also those whose
// latest run has closed, each once, with how it closed. A source that continues as new shows
// once, running.
func TestListAllShowsClosedSources(t *testing.T) {
	t.Parallel()
	addr, sink := startPipeline(t)
	for _, args := range [][]string{
		{"--workflow-id", "alive", "--interval", "1s"},
		{"--workflow-id", "gone", "--interval", "1s"},
		{"--workflow-id", "renewed", "--interval", "200ms", "--continue-as-new-after", "2"},
	} {
		mustStarter(t, addr, append([]string{"start"}, args...)...)
	}
	sink.waitFor(t, 10, time.Minute)
	c := dialSDK(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.TerminateWorkflow(ctx, "gone", "", "by the test"); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	eventually(t, "visibility has the terminated run", 10*time.Second, func() bool {
		return len(listed(t, c, "WorkflowId = 'gone' AND ExecutionStatus = 'Terminated'")) == 1
	})

	ids := func(l []report) map[string]report {
		m := map[string]report{}
		for _, e := range l {
			if _, twice := m[e.WorkflowID]; twice {
				t.Errorf("%s listed twice", e.WorkflowID)
			}
			m[e.WorkflowID] = e
		}
		return m
	}
	running, out := listJSON(t, addr)
	if got := ids(running); len(got) != 2 || got["gone"].WorkflowID != "" {
		t.Errorf("list:\n%s\nwant alive and renewed only", out)
	}
	all, out := listJSON(t, addr, "--all")
	got := ids(all)
	if g := got["gone"]; len(got) != 3 || g.Execution != "terminated" || !g.Finished || g.NextFireTime != nil || g.CloseTime == nil {
		t.Errorf("list --all --output json:\n%s\nwant alive, renewed and gone, terminated", out)
	}
	if r := got["renewed"]; r.Execution != "running" || r.Finished {
		t.Errorf("list --all: renewed is %q, finished %v; want running", r.Execution, r.Finished)
	}
	text, ok := starter(addr, "list", "--all")
	if !ok || !strings.Contains(lineStarting(text, "gone "), "terminated at ") {
		t.Errorf("list --all:\n%s\nwant gone terminated", text)
	}
	t.Logf("list --all:\n%s", text)
}

// TestDescribeShowsTheRetryOfAStuckTick: while Temporal retries a tick that the sink refuses
// with 503, describe shows the attempt and the sink's answer.
func TestDescribeShowsTheRetryOfAStuckTick(t *testing.T) {
	t.Parallel()
	addr, sink := startPipeline(t)
	sink.setAnswer(func(arrival) answer { return answer{status: http.StatusServiceUnavailable} })
	const id = "stuck"
	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s")
	sink.waitFor(t, 3, time.Minute) // the local first attempt, then two of the activity
	var d report
	var out string
	eventually(t, "describe shows the retry", 30*time.Second, func() bool {
		d, out = describeJSON(t, addr, id)
		return d.Retry != nil && d.Retry.Attempt >= 2
	})
	if d.StatusFrom != "query" || d.Retry.Activity != "Deliver" || !strings.Contains(d.Retry.LastFailure, "sink answered 503 Service Unavailable") {
		t.Errorf("describe --output json:\n%s\nwant the retry of Deliver and the sink's 503", out)
	}
	text, ok := starter(addr, "describe", "--workflow-id", id)
	if line := lineStarting(text, "retrying:"); !ok || !strings.Contains(line, "of Deliver, last failed at ") || !strings.Contains(line, "503") {
		t.Errorf("describe:\n%s\nwant a retrying line with the 503", text)
	}
	t.Logf("describe of a stuck tick:\n%s", text)
}

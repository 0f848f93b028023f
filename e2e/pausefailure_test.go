package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// TestPauseOnFailure: a source with --pause-on-failure 2 whose sink rejects two ticks in a row
// pauses itself; describe, the CronSourcePauseReason search attribute and the worker's log say
// why, list --paused lists it, describe's recent ticks show each outcome, and resume starts it
// again with the same stream of ids.
func TestPauseOnFailure(t *testing.T) {
	sink := newRecorder(t)
	sink.setAnswer(func(a arrival) answer {
		if a.seq == 2 || a.seq == 3 {
			return answer{status: 400, body: "no thanks"}
		}
		return answer{}
	})
	addr := startDevserver(t)
	worker := startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	const id = "fragile"
	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "500ms", "--pause-on-failure", "2")

	var d report
	eventually(t, "the source paused on failure", time.Minute, func() bool {
		d, _ = describeJSON(t, addr, id)
		return d.Paused
	})
	if !strings.HasPrefix(d.PauseReason, "paused on failure: 2 ticks in a row rejected or undeliverable (--pause-on-failure 2); the last, tick 3: rejected: ") {
		t.Errorf("pause reason %q", d.PauseReason)
	}
	if d.PauseOnFailure != 2 || d.FailuresInARow != 2 {
		t.Errorf("describe: pauseOnFailure %d, failuresInARow %d; want 2 and 2", d.PauseOnFailure, d.FailuresInARow)
	}
	if d.Sequence != 3 || d.Rejected != 2 {
		t.Errorf("paused at sequence %d with %d rejected, want 3 and 2", d.Sequence, d.Rejected)
	}
	if r := d.RecentTicks; len(r) != 3 || r[0].Outcome != "delivered" || r[2].Sequence != 3 || r[2].Outcome != "rejected" ||
		r[2].Attempts != 1 || !strings.Contains(r[2].LastError, "400 Bad Request: no thanks") {
		t.Errorf("recent ticks %+v, want 1 delivered, 2 and 3 rejected with the sink's answer", r)
	}
	if out := mustStarter(t, addr, "describe", "--workflow-id", id); !strings.Contains(out, "recent ticks:") ||
		!strings.Contains(out, "  3 rejected at ") {
		t.Errorf("describe:\n%s", out)
	}
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reasonAttribute := func() string {
		resp, err := c.DescribeWorkflowExecution(t.Context(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		var reason string
		if p := resp.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["CronSourcePauseReason"]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &reason)
		}
		return reason
	}
	eventually(t, "the pause reason search attribute", 10*time.Second, func() bool {
		return strings.HasPrefix(reasonAttribute(), "paused on failure")
	})
	if out := mustStarter(t, addr, "list", "--paused"); !strings.Contains(out, id) {
		t.Errorf("list --paused:\n%s", out)
	}
	if log, err := os.ReadFile(worker.Stdout.(*os.File).Name()); err != nil || !strings.Contains(string(log), "source paused on failure") {
		t.Errorf("the worker's log does not say the source paused on failure (%v)", err)
	}
	n := len(sink.events())
	if last := seqOf(sink.events()[n-1]); last != 3 {
		t.Errorf("the last tick that reached the sink while paused is %d, want 3", last)
	}

	mustStarter(t, addr, "resume", "--workflow-id", id)
	sink.waitFor(t, n+3, time.Minute)
	checkContiguous(t, sink.events())
	eventually(t, "the reason gone", 10*time.Second, func() bool {
		d, _ = describeJSON(t, addr, id)
		return !d.Paused && d.PauseReason == "" && reasonAttribute() == ""
	})
	recordHistory(t, addr, id, "source-v6-pause-on-failure")
}

package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// The fault scenarios that end the source: Temporal's terminate and cancel, and a stop while
// the sink fails. Each checks what describe says of the closed source and, once no worker
// runs, that the sink got nothing beyond what its final status accounts for.

// closing ends the source with Temporal's own terminate or cancel, and waits until the run has
// closed with that status.
func closing(how string) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		c := r.client()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if how == "terminated" {
			err = c.TerminateWorkflow(ctx, r.workflowID(), "", "fault scenario")
		} else {
			err = c.CancelWorkflow(ctx, r.workflowID(), "")
		}
		if err != nil {
			r.t.Fatalf("%s: %v", how, err)
		}
		r.waitDescribed(func(d report) bool { return d.Execution == how }, 30*time.Second)
		return time.Now()
	}
}

// describedClosed checks what `starter describe` says of a source that Temporal closed.
func describedClosed(how string) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, r *faultRun, _ []arrival) {
		d := r.finalStatus()
		if d.Execution != how || !d.Finished || d.NextFireTime != nil || len(d.NextFireTimes) != 0 {
			t.Errorf("describe: execution %q, finished %v, next fire time %v %v; want %s, finished, none",
				d.Execution, d.Finished, d.NextFireTime, d.NextFireTimes, how)
		}
	}
}

// finalStatus is the closed source's last status, once describe has it from the source itself
// (a worker replays the closed run to answer the status query), not from the server.
func (r *faultRun) finalStatus() report {
	r.t.Helper()
	var d report
	eventually(r.t, "the closed source answers its status query", 30*time.Second, func() bool {
		d = r.describe()
		return d.StatusFrom == "query"
	})
	r.final = &d
	return d
}

// checkQuietAfter checks, once no worker runs, that the sink got nothing beyond what the closed
// source's final status accounts for: no tick past its sequence but the one in flight when it
// closed (abandoned by the stop's grace, or cut short by the terminate or cancel), and no tick
// due after it closed. A closed run schedules nothing, so there is nothing to wait for.
func checkQuietAfter(t *testing.T, r *faultRun) {
	t.Helper()
	if r.final == nil {
		t.Fatal("the scenario's check read no final status")
	}
	for _, a := range r.sink.all() {
		if a.scheduled.After(r.closedAt.Add(faultInterval)) {
			t.Errorf("tick %d, due %v, arrived after the source closed at %v", a.seq, a.scheduled, r.closedAt)
		}
		if int64(a.seq) > r.final.Sequence+1 {
			t.Errorf("tick %d arrived; the closed source's last sequence is %d", a.seq, r.final.Sequence)
		}
	}
}

// stoppingOnAFailingSink stops a source whose sink answers 500 to everything, with a 3 s grace,
// once a tick is in flight, being retried, and waits until the source has completed.
func stoppingOnAFailingSink(r *faultRun) time.Time {
	r.sink.setAnswer(func(arrival) answer { return answer{status: http.StatusInternalServerError} })
	r.sink.waitUntil(r.t, "a tick refused twice", 30*time.Second, func(as []arrival) bool {
		for _, a := range as {
			if a.status == http.StatusInternalServerError && a.attempt >= 2 {
				return true
			}
		}
		return false
	})
	out := mustStarter(r.t, r.addr, append([]string{"stop", "--workflow-id", r.name, "--grace", "3s"}, r.groupArgs()...)...)
	asked := time.Now()
	r.waitDescribed(func(d report) bool { return d.Finished }, 30*time.Second)
	if took := time.Since(asked); took > 3*time.Second+5*time.Second {
		r.t.Errorf("the source stopped %v after stop --grace 3s", took.Round(time.Millisecond))
	}
	r.t.Logf("stop: %s", out)
	return time.Now()
}

func describedStopped(t *testing.T, r *faultRun, _ []arrival) {
	recordHistory(t, r.addr, r.workflowID(), r.history("source-v5-stop-grace-abandoned"))
	d := r.finalStatus()
	execution := "completed"
	if r.group != "" {
		execution = "running" // the group's, which runs on without the source
	}
	if !d.Stopping || !d.Finished || d.Execution != execution || d.Abandoned != 1 || d.InFlight != nil {
		t.Errorf("describe: %+v; want stopped (stopping, finished, %s), 1 abandoned, none in flight", d, execution)
	}
}

// waitDescribed polls describe until ok, and notes when the source closed.
func (r *faultRun) waitDescribed(ok func(report) bool, within time.Duration) {
	r.t.Helper()
	var d report
	held := false
	defer func() { // runs on the Fatal too
		if !held {
			r.t.Logf("describe says %+v", d)
		}
	}()
	eventually(r.t, "describe shows the source closed", within, func() bool {
		d = r.describe()
		held = ok(d)
		return held
	})
	r.closedAt = time.Now()
}

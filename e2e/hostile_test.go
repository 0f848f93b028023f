package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// The fault scenarios of hostile sinks and of Temporal's own operations on a running source:
// redirects, resets, terminate and cancel, and a stop while the sink fails.

// redirecting makes the sink answer status with a Location from to(r) for 5 s.
func redirecting(status int, to func(r *faultRun) string) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		location := to(r)
		r.sink.setAnswer(func(int) answer { return answer{status: status, location: location} })
		time.Sleep(5 * time.Second)
		r.sink.setAnswer(func(int) answer { return answer{status: http.StatusOK} })
		return time.Now()
	}
}

// elsewhere is the decoy: a server the sink redirects to that must never see a request.
func elsewhere(r *faultRun) string {
	r.decoy = &decoy{}
	srv := httptest.NewServer(r.decoy)
	r.t.Cleanup(srv.Close)
	return srv.URL + "/in"
}

func moved(r *faultRun) string  { return r.sink.url() + movedPath }
func itself(r *faultRun) string { return r.sink.url() + "/" }

// decoy counts the requests it gets and answers 200, as a sink that ignores what it gets would.
type decoy struct{ requests atomic.Int32 }

func (d *decoy) ServeHTTP(w http.ResponseWriter, _ *http.Request) { d.requests.Add(1) }

// notFollowed checks that the redirect target got nothing and that the refused POSTs came back.
func notFollowed(status int) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, r *faultRun, arrivals []arrival) {
		if n := r.decoy.requests.Load(); n != 0 {
			t.Errorf("the %d redirect was followed: its target got %d requests", status, n)
		}
		if countStatus(arrivals, status) == 0 {
			t.Errorf("no POST was answered %d: the fault did nothing", status)
		}
	}
}

// followedAsTheSamePOST checks that every tick the sink redirected with a 307 or 308 arrived
// at the new URL as the same POST: the same id and the same body.
func followedAsTheSamePOST(status int) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, _ *faultRun, arrivals []arrival) {
		redirected := map[int]arrival{}
		followed := 0
		for _, a := range arrivals {
			switch {
			case a.status == status:
				redirected[a.seq] = a
			case a.path == movedPath:
				followed++
				first, ok := redirected[a.seq]
				if !ok {
					t.Errorf("tick %d reached %s without a redirect", a.seq, movedPath)
				} else if a.method != http.MethodPost || a.id != first.id || a.body != first.body {
					t.Errorf("tick %d followed as %s id %s body %q, want POST id %s body %q", a.seq, a.method, a.id, a.body, first.id, first.body)
				}
			}
		}
		if len(redirected) == 0 || followed == 0 {
			t.Errorf("%d ticks redirected with %d, %d followed: want both", len(redirected), status, followed)
		}
	}
}

func countStatus(arrivals []arrival, status int) int {
	n := 0
	for _, a := range arrivals {
		if a.status == status {
			n++
		}
	}
	return n
}

// resetting resets the source's current run to the n-th of its completed workflow tasks
// (negative: from the end, -1 the last), as `temporal workflow reset` does, once the sink has
// accepted tick after and the run has that many.
func resetting(after, n int) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		r.sink.waitAccepted(r.t, after, time.Minute)
		c := r.client()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for {
			run, completed := currentRun(ctx, r, c)
			i := n
			if n < 0 {
				i = len(completed) + n
			}
			if i < 0 || i >= len(completed) {
				time.Sleep(100 * time.Millisecond) // a run that has just begun
				continue
			}
			resp, err := c.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
				Namespace:                 "default",
				WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: r.name, RunId: run},
				Reason:                    "fault scenario",
				WorkflowTaskFinishEventId: completed[i],
				RequestId:                 newRequestID(),
			})
			if err != nil {
				r.t.Fatalf("reset %s to event %d of %v: %v", r.name, completed[i], completed, err)
			}
			r.t.Logf("reset run %s to event %d: new run %s", run, completed[i], resp.GetRunId())
			return time.Now()
		}
	}
}

// currentRun is the source's current run and the event ids of its completed workflow tasks.
func currentRun(ctx context.Context, r *faultRun, c client.Client) (string, []int64) {
	desc, err := c.DescribeWorkflowExecution(ctx, r.name, "")
	if err != nil {
		r.t.Fatal(err)
	}
	run := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	var completed []int64
	it := c.GetWorkflowHistory(ctx, r.name, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			r.t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			completed = append(completed, e.GetEventId())
		}
	}
	return run, completed
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// resentWithTheirIDs checks that the reset made the source send ticks again, which the judge
// then finds kept their ids and sequences. It records the reset run's history as history,
// unless that is "".
func resentWithTheirIDs(history string) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, r *faultRun, arrivals []arrival) {
		if history != "" {
			recordHistory(t, r.addr, r.name, history)
		}
		checkResent(t, arrivals)
	}
}

func checkResent(t *testing.T, arrivals []arrival) {
	accepted := map[int]int{}
	again := 0
	for _, a := range arrivals {
		if a.accepted() {
			if accepted[a.seq]++; accepted[a.seq] == 2 {
				again++
			}
		}
	}
	if again == 0 {
		t.Error("no tick was sent again after the reset: it reset nothing")
	}
}

// closing ends the source with Temporal's own terminate or cancel, and waits until the run has
// closed with that status.
func closing(how string) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		c := r.client()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if how == "terminated" {
			err = c.TerminateWorkflow(ctx, r.name, "", "fault scenario")
		} else {
			err = c.CancelWorkflow(ctx, r.name, "")
		}
		if err != nil {
			r.t.Fatalf("%s: %v", how, err)
		}
		r.waitDescribed(func(d described) bool { return d.Execution == how }, 30*time.Second)
		return time.Now()
	}
}

// describedClosed checks what `starter describe` says of a source that Temporal closed.
func describedClosed(how string) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, r *faultRun, arrivals []arrival) {
		d := describe(t, r.addr, r.name)
		if d.Execution != how || !d.Finished || d.NextFireTime != nil || len(d.NextFireTimes) != 0 {
			t.Errorf("describe: execution %q, finished %v, next fire time %v %v; want %s, finished, none",
				d.Execution, d.Finished, d.NextFireTime, d.NextFireTimes, how)
		}
		checkQuietAfter(t, r, arrivals)
	}
}

// checkQuietAfter checks that the sink saw no tick due after the source closed.
func checkQuietAfter(t *testing.T, r *faultRun, arrivals []arrival) {
	time.Sleep(3 * faultInterval)
	for _, a := range r.sink.snapshot() {
		if a.scheduled.After(r.closedAt.Add(faultInterval)) {
			t.Errorf("tick %d, due %v, arrived after the source closed at %v", a.seq, a.scheduled, r.closedAt)
		}
	}
}

// stoppingOnAFailingSink stops a source whose sink answers 500 to everything, with a 3 s grace,
// and waits until the source has completed.
func stoppingOnAFailingSink(r *faultRun) time.Time {
	r.sink.setAnswer(func(int) answer { return answer{status: http.StatusInternalServerError} })
	time.Sleep(2 * faultInterval) // a tick is in flight, being retried
	out, err := exec.Command(filepath.Join(binDir, "starter"), "stop", "--address", r.addr, "--workflow-id", r.name,
		"--grace", "3s").CombinedOutput()
	if err != nil {
		r.t.Fatalf("starter stop: %v\n%s", err, out)
	}
	asked := time.Now()
	r.waitDescribed(func(d described) bool { return d.Finished }, 30*time.Second)
	if took := time.Since(asked); took > 3*time.Second+5*time.Second {
		r.t.Errorf("the source stopped %v after stop --grace 3s", took.Round(time.Millisecond))
	}
	r.t.Logf("stop: %s", out)
	return time.Now()
}

func describedStopped(t *testing.T, r *faultRun, arrivals []arrival) {
	recordHistory(t, r.addr, r.name, "source-v5-stop-grace-abandoned")
	d := describe(t, r.addr, r.name)
	if !d.Stopping || !d.Finished || d.Execution != "completed" || d.Abandoned != 1 || d.InFlight != nil {
		t.Errorf("describe: %+v; want stopped (stopping, finished, completed), 1 abandoned, none in flight", d)
	}
	checkQuietAfter(t, r, arrivals)
}

// waitDescribed polls describe until ok, and notes when the source closed.
func (r *faultRun) waitDescribed(ok func(described) bool, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		d := describe(r.t, r.addr, r.name)
		if ok(d) {
			r.closedAt = time.Now()
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("describe says %+v after %v", d, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (r *faultRun) client() client.Client {
	c, err := client.Dial(client.Options{HostPort: r.addr, Logger: quietSDKLogger()})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(c.Close)
	return c
}

func hostileScenarios() []faultScenario {
	var scenarios []faultScenario
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther} {
		scenarios = append(scenarios, faultScenario{name: fmt.Sprintf("sink redirects with %d for 5s", status), workers: 1,
			fault: redirecting(status, elsewhere), check: notFollowed(status)})
	}
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		scenarios = append(scenarios, faultScenario{name: fmt.Sprintf("sink redirects with %d for 5s", status), workers: 1,
			fault: redirecting(status, moved), check: followedAsTheSamePOST(status)})
	}
	return append(scenarios,
		faultScenario{name: "sink redirects to itself (a loop) for 5s", workers: 1,
			fault: redirecting(http.StatusTemporaryRedirect, itself),
			check: func(t *testing.T, _ *faultRun, arrivals []arrival) {
				if countStatus(arrivals, http.StatusTemporaryRedirect) == 0 {
					t.Error("no POST was redirected: the fault did nothing")
				}
			}},
		faultScenario{name: "reset to an early workflow task of the first run", workers: 1, redelivery: yes(),
			fault: resetting(4, 2), check: resentWithTheirIDs("source-v5-reset-in-first-run")},
		faultScenario{name: "reset to the last workflow task of the first run", workers: 1,
			fault: resetting(4, -1)},
		faultScenario{name: "reset after a continue-as-new", workers: 1, redelivery: yes(),
			startArgs: []string{"--continue-as-new-after", "3"},
			fault:     resetting(5, 0), check: resentWithTheirIDs("")}, // the run has continued as new since
		faultScenario{name: "terminated, seen by describe", workers: 1, ends: true,
			fault: closing("terminated"), check: describedClosed("terminated")},
		faultScenario{name: "cancelled, seen by describe", workers: 1, ends: true,
			fault: closing("canceled"), check: describedClosed("canceled")},
		faultScenario{name: "stop --grace 3s on a sink that answers 500", workers: 1, ends: true, abandonOnPurpose: 1,
			fault: stoppingOnAFailingSink, check: describedStopped},
	)
}

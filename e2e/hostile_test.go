package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// The fault scenarios of hostile sinks and of Temporal's own operations on a running source:
// redirects and resets here; terminate, cancel and a stop while the sink fails in
// closing_test.go.

// movedPath is where the sink takes the ticks that it redirected to itself: always 200.
const movedPath = "/moved"

// redirecting makes the sink answer status with a Location from to(r) for 5 s.
func redirecting(status int, to func(r *faultRun) string) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		location := to(r)
		r.sink.setAnswer(func(a arrival) answer {
			if a.path == movedPath {
				return answer{}
			}
			return answer{status: status, location: location}
		})
		time.Sleep(5 * time.Second)
		r.sink.setAnswer(func(arrival) answer { return answer{} })
		return time.Now()
	}
}

// elsewhere is the decoy: a recorder that the sink redirects to, which must never see a
// request.
func elsewhere(r *faultRun) string {
	r.decoy = newRecorder(r.t)
	return r.decoy.URL + "/in"
}

func moved(r *faultRun) string  { return r.sink.URL + movedPath }
func itself(r *faultRun) string { return r.sink.URL + "/" }

// notFollowed checks that the redirect target got nothing and that the refused POSTs came back.
func notFollowed(status int) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, r *faultRun, arrivals []arrival) {
		if n := len(r.decoy.all()); n != 0 {
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
		var run string
		var completed []int64
		i := n
		eventually(r.t, fmt.Sprintf("the current run has workflow task %d", n), time.Minute, func() bool {
			run, completed = currentRun(ctx, r, c) // a run that has just begun may have too few
			if i = n; n < 0 {
				i = len(completed) + n
			}
			return i >= 0 && i < len(completed)
		})
		resp, err := c.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
			Namespace:                 "default",
			WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: r.workflowID(), RunId: run},
			Reason:                    "fault scenario",
			WorkflowTaskFinishEventId: completed[i],
			RequestId:                 newRequestID(),
		})
		if err != nil {
			r.t.Fatalf("reset %s to event %d of %v: %v", r.workflowID(), completed[i], completed, err)
		}
		r.t.Logf("reset run %s to event %d: new run %s", run, completed[i], resp.GetRunId())
		return time.Now()
	}
}

// currentRun is the source's current run and the event ids of its completed workflow tasks.
func currentRun(ctx context.Context, r *faultRun, c client.Client) (string, []int64) {
	desc, err := c.DescribeWorkflowExecution(ctx, r.workflowID(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	run := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	var completed []int64
	it := c.GetWorkflowHistory(ctx, r.workflowID(), run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
			recordHistory(t, r.addr, r.workflowID(), r.history(history))
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
		faultScenario{name: "reset to an early workflow task of the first run", workers: 1, redelivery: yes(), inGroup: true,
			fault: resetting(4, 2), check: resentWithTheirIDs("source-v5-reset-in-first-run")},
		faultScenario{name: "reset to the last workflow task of the first run", workers: 1,
			fault: resetting(4, -1)},
		faultScenario{name: "reset after a continue-as-new", workers: 1, redelivery: yes(),
			startArgs: []string{"--continue-as-new-after", "3"},
			fault:     resetting(5, 0), check: resentWithTheirIDs("")}, // the run has continued as new since
		faultScenario{name: "terminated, seen by describe", workers: 1, ends: true, inGroup: true,
			fault: closing("terminated"), check: describedClosed("terminated")},
		faultScenario{name: "cancelled, seen by describe", workers: 1, ends: true, inGroup: true,
			fault: closing("canceled"), check: describedClosed("canceled")},
		faultScenario{name: "stop --grace 3s on a sink that answers 500", workers: 1, ends: true, abandonOnPurpose: 1, inGroup: true,
			fault: stoppingOnAFailingSink, check: describedStopped},
	)
}

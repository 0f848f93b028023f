package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestRejectionInsideTheActivity reads the Rejection off the error exactly as Deliver returns
// it, before Temporal converts it: a probe activity calls Deliver and returns what RejectionOf
// found.
func TestRejectionInsideTheActivity(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 100) // 1600 bytes
	tests := []struct {
		name       string
		status     int
		body       string
		data       []byte // the tick's data
		wantOK     bool
		wantStatus int
		wantData   string
		wantReason string
	}{
		{name: "400 with a body", status: 400, body: "bad event", wantOK: true, wantStatus: 400,
			wantData: "bad event", wantReason: "sink rejected the event: 400 Bad Request: bad event"},
		{name: "403 without a body", status: 403, wantOK: true, wantStatus: 403,
			wantReason: "sink rejected the event: 403 Forbidden"},
		{name: "long body is cut", status: 422, body: long, wantOK: true, wantStatus: 422,
			wantData: long[:1024], wantReason: "422 Unprocessable Entity: " + long[:512]},
		{name: "unbuildable event", status: 200, data: []byte("{"), wantOK: true, wantStatus: 0,
			wantReason: "invalid data: not valid JSON"},
		{name: "retryable 503", status: 503, body: "later", wantOK: false},
		{name: "delivered", status: 200, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newTestSink(t, tt.status, tt.body)
			a := New(sink.Client(), sink.URL, nil)
			type found struct {
				Rejection contract.Rejection
				OK        bool
			}
			probe := func(ctx context.Context, tk contract.Tick) (found, error) {
				_, err := a.Deliver(ctx, tk)
				r, ok := contract.RejectionOf(err)
				if ok != contract.IsRejected(err) {
					return found{}, fmt.Errorf("RejectionOf says %v, IsRejected %v, for %v", ok, contract.IsRejected(err), err)
				}
				return found{r, ok}, nil
			}
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			env.RegisterActivityWithOptions(probe, activity.RegisterOptions{Name: "probe"})
			tk := tick()
			tk.Data = tt.data
			v, err := env.ExecuteActivity("probe", tk)
			if err != nil {
				t.Fatal(err)
			}
			var got found
			if err := v.Get(&got); err != nil {
				t.Fatal(err)
			}
			if got.OK != tt.wantOK {
				t.Fatalf("RejectionOf reports %v, want %v", got.OK, tt.wantOK)
			}
			if !tt.wantOK {
				return
			}
			r := got.Rejection
			if r.Sink != sink.URL || r.StatusCode != tt.wantStatus || string(r.Data) != tt.wantData ||
				!strings.Contains(r.Reason, tt.wantReason) || r.Attempt != 1 {
				t.Errorf("rejection = %+v\nwant sink %s, status %d, data %q, reason with %q, attempt 1",
					r, sink.URL, tt.wantStatus, tt.wantData, tt.wantReason)
			}
		})
	}
}

// TestRejectionThroughAWorkflow reads the Rejection off the error that a workflow gets from the
// activity call, after Temporal has converted it to a failure and back.
func TestRejectionThroughAWorkflow(t *testing.T) {
	sink := newTestSink(t, http.StatusBadRequest, `{"error":"no such type"}`)
	a := New(sink.Client(), sink.URL, nil)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.ExecuteWorkflow(func(ctx workflow.Context) (contract.Rejection, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{NonRetryableErrorTypes: []string{contract.ErrRejected}},
		})
		err := workflow.ExecuteActivity(ctx, a.Deliver, tick()).Get(ctx, nil)
		var actErr *temporal.ActivityError
		if !errors.As(err, &actErr) || !contract.IsRejected(err) {
			return contract.Rejection{}, fmt.Errorf("want a rejected activity error, got %v", err)
		}
		r, ok := contract.RejectionOf(err)
		if !ok {
			return contract.Rejection{}, fmt.Errorf("no rejection in %v", err)
		}
		return r, nil
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r contract.Rejection
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	if r.Sink != sink.URL || r.StatusCode != 400 || string(r.Data) != `{"error":"no such type"}` || r.Attempt != 1 ||
		r.Reason != `sink rejected the event: 400 Bad Request: {"error":"no such type"}` {
		t.Errorf("rejection = %+v", r)
	}
}

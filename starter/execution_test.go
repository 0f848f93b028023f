package main

import (
	"context"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/workflows"
)

func TestExecutionStatuses(t *testing.T) {
	tests := []struct {
		status           enumspb.WorkflowExecutionStatus
		text             string
		closed, cutShort bool
	}{
		{enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, "running", false, false},
		{enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, "completed", true, false},
		{enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, "failed", true, true},
		{enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, "canceled", true, true},
		{enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, "terminated", true, true},
		{enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, "continued as new", true, true},
		{enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, "timed out", true, true},
		{enumspb.WORKFLOW_EXECUTION_STATUS_PAUSED, "paused by Temporal", false, false},
		{enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, "unknown", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.status.String(), func(t *testing.T) {
			if got := executionText(tt.status); got != tt.text {
				t.Errorf("executionText = %q, want %q", got, tt.text)
			}
			if got := closed(tt.status); got != tt.closed {
				t.Errorf("closed = %v, want %v", got, tt.closed)
			}
			if got := cutShort(tt.status); got != tt.cutShort {
				t.Errorf("cutShort = %v, want %v", got, tt.cutShort)
			}
		})
	}
}

func TestRetryOf(t *testing.T) {
	failed := time.Date(2026, 11, 26, 4, 46, 25, 0, time.UTC)
	tests := []struct {
		name string
		in   *workflowpb.PendingActivityInfo
		want string // retryText of the result
	}{
		{"none", nil, "none"},
		{"waiting for its next attempt", &workflowpb.PendingActivityInfo{
			ActivityType: &commonpb.ActivityType{Name: "Deliver"}, Attempt: 3,
			LastFailure:             &failurepb.Failure{Message: "sink answered 503 Service Unavailable:\n  down"},
			LastAttemptCompleteTime: timestamppb.New(failed),
			NextAttemptScheduleTime: timestamppb.New(failed.Add(4 * time.Second)),
		}, "attempt 3 of Deliver, last failed at 2026-11-26T04:46:25.000Z: sink answered 503 Service Unavailable: down; next at 2026-11-26T04:46:29.000Z"},
		{"the message is in the cause", &workflowpb.PendingActivityInfo{
			ActivityType: &commonpb.ActivityType{Name: "Deliver"}, Attempt: 2,
			LastFailure:     &failurepb.Failure{Cause: &failurepb.Failure{Message: "post to sink: timeout"}},
			LastStartedTime: timestamppb.New(failed),
		}, "attempt 2 of Deliver, last failed at 2026-11-26T04:46:25.000Z: post to sink: timeout"},
		{"first attempt running", &workflowpb.PendingActivityInfo{
			ActivityType: &commonpb.ActivityType{Name: "DeadLetter"}, Attempt: 1,
		}, "attempt 1 of DeadLetter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryText(retryOf(tt.in)); got != tt.want {
				t.Errorf("retryText(retryOf) = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSearchAttributesDecodes(t *testing.T) {
	sa := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
		searchattr.Schedule: toPayload(t, "every 1s"),
		searchattr.Paused:   toPayload(t, true),
		"Other":             toPayload(t, "x"),
	}}
	got := searchAttributes(sa)
	if len(got) != 2 || got[searchattr.Schedule] != "every 1s" || got[searchattr.Paused] != true {
		t.Errorf("searchAttributes = %v, want the schedule and paused only", got)
	}
	if got := searchAttributes(nil); got != nil {
		t.Errorf("searchAttributes(nil) = %v, want nil", got)
	}
}

func TestRunInputReadsTheFirstEvent(t *testing.T) {
	in := workflows.Input{Config: workflows.Config{Interval: time.Second, Sink: "http://u:pw@sink"},
		State: workflows.State{Sequence: 7, Delivered: 7}}
	svc := &fakeService{history: startedEvent(t, in)}
	got, err := runInput(context.Background(), &fakeClient{svc: svc}, "ns", &commonpb.WorkflowExecution{WorkflowId: "a", RunId: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Interval != time.Second || got.State.Sequence != 7 {
		t.Errorf("runInput = %+v, want %+v", got, in)
	}
	req := svc.historyRequests[0]
	if req.GetMaximumPageSize() != 1 || req.GetNamespace() != "ns" || req.GetExecution().GetRunId() != "r" {
		t.Errorf("history request %v, want one event of run r in ns", req)
	}

	svc.history = &historypb.History{}
	if _, err := runInput(context.Background(), &fakeClient{svc: svc}, "ns", nil); err == nil || !strings.Contains(err.Error(), "first event") {
		t.Errorf("runInput of an empty history: %v, want an error about the first event", err)
	}
}

func toPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startedEvent is a history whose first event starts a run with in.
func startedEvent(t *testing.T, in workflows.Input) *historypb.History {
	t.Helper()
	ps, err := converter.GetDefaultDataConverter().ToPayloads(in)
	if err != nil {
		t.Fatal(err)
	}
	return &historypb.History{Events: []*historypb.HistoryEvent{{
		EventId: 1, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
			WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{Input: ps},
		},
	}}}
}

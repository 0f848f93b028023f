package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/workflows"
)

// serverTimeout bounds each call that the server answers by itself, with no worker: describe
// a run, read its first event.
const serverTimeout = 5 * time.Second

// run is what the server knows of one run of a source, without asking a worker.
type run struct {
	info *workflowpb.WorkflowExecutionInfo
	// described: task and activity were asked for (DescribeWorkflowExecution); a run found by
	// a visibility query has neither.
	described bool
	// task is the pending workflow task, if any: one that has started and not finished holds
	// the source's queries until it does.
	task *workflowpb.PendingWorkflowTaskInfo
	// activity is the pending activity, if any: the tick in flight being retried.
	activity *workflowpb.PendingActivityInfo
}

func (r run) id() string { return r.info.GetExecution().GetWorkflowId() }

func (r run) status() enumspb.WorkflowExecutionStatus { return r.info.GetStatus() }

// describeRun asks the server for a source's run: its latest run if runID is empty.
func describeRun(ctx context.Context, c client.Client, id, runID string) (run, error) {
	ctx, cancel := context.WithTimeout(ctx, serverTimeout)
	defer cancel()
	resp, err := c.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		return run{}, fmt.Errorf("describe source %q: %w", id, err)
	}
	return runOf(resp), nil
}

func runOf(resp *workflowservice.DescribeWorkflowExecutionResponse) run {
	r := run{info: resp.GetWorkflowExecutionInfo(), described: true, task: resp.GetPendingWorkflowTask()}
	if acts := resp.GetPendingActivities(); len(acts) > 0 {
		r.activity = acts[0] // a source runs one activity at a time
	}
	return r
}

// executionText is a workflow execution status as describe and list show it, in Temporal's
// spelling: running, completed, failed, canceled, terminated, timed out, ...
func executionText(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued as new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed out"
	case enumspb.WORKFLOW_EXECUTION_STATUS_PAUSED:
		return "paused by Temporal"
	}
	return "unknown"
}

// closed: the execution has ended and will run no more.
func closed(s enumspb.WorkflowExecutionStatus) bool {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		enumspb.WORKFLOW_EXECUTION_STATUS_PAUSED:
		return false
	}
	return true
}

// cutShort: the execution was closed by Temporal or an operator (terminated, canceled, timed
// out) or failed, rather than completing by itself. Its status query, replayed by a worker,
// would still describe a source at work.
func cutShort(s enumspb.WorkflowExecutionStatus) bool {
	return closed(s) && s != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
}

// runInput reads the input that a run started with (its configuration, and the state that a
// continue-as-new carried into it) from the first event of its history, fetching only that
// event. The input holds the sink URLs as given, passwords included: callers must redact them.
func runInput(ctx context.Context, c client.Client, namespace string, exec *commonpb.WorkflowExecution) (workflows.Input, error) {
	ctx, cancel := context.WithTimeout(ctx, serverTimeout)
	defer cancel()
	var in workflows.Input
	resp, err := c.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: namespace, Execution: exec, MaximumPageSize: 1,
	})
	if err != nil {
		return in, fmt.Errorf("read the run's first event: %w", err)
	}
	events := resp.GetHistory().GetEvents()
	if len(events) == 0 || events[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		return in, errors.New("read the run's first event: it is not the start of the run")
	}
	// The starter's client, which started the run, uses the SDK's default data converter.
	payloads := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
	if err := converter.GetDefaultDataConverter().FromPayloads(payloads, &in); err != nil {
		return in, fmt.Errorf("decode the run's input: %w", err)
	}
	return in, nil
}

// searchAttributes are a run's CronSource* search attributes that are set, decoded: the
// server keeps them current as the source is paused, resumed and updated.
func searchAttributes(sa *commonpb.SearchAttributes) map[string]any {
	out := map[string]any{}
	dc := converter.GetDefaultDataConverter()
	for _, name := range []string{searchattr.Schedule, searchattr.Paused, searchattr.PauseReason, searchattr.Sink} {
		p := sa.GetIndexedFields()[name]
		if p == nil {
			continue
		}
		var v any
		if err := dc.FromPayload(p, &v); err == nil && v != nil {
			out[name] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// retry is the tick in flight as the server has it while Temporal retries its delivery: the
// pending activity. A tick's first attempt runs inside a workflow task and is not one.
type retry struct {
	// Activity is Deliver, or DeadLetter for a rejected tick on its way to the dead-letter sink.
	Activity string `json:"activity"`
	// Attempt is the activity's attempt, from 1, as `temporal workflow describe` shows it.
	Attempt         int32      `json:"attempt"`
	LastFailure     string     `json:"lastFailure,omitempty"`
	LastAttemptTime *time.Time `json:"lastAttemptTime,omitempty"`
	NextAttemptTime *time.Time `json:"nextAttemptTime,omitempty"`
}

func retryOf(a *workflowpb.PendingActivityInfo) *retry {
	if a == nil {
		return nil
	}
	r := &retry{Activity: a.GetActivityType().GetName(), Attempt: a.GetAttempt()}
	for f := a.GetLastFailure(); f != nil && r.LastFailure == ""; f = f.GetCause() {
		r.LastFailure = strings.Join(strings.Fields(f.GetMessage()), " ")
	}
	last := a.GetLastAttemptCompleteTime()
	if last == nil {
		last = a.GetLastStartedTime()
	}
	r.LastAttemptTime = timeOf(last)
	r.NextAttemptTime = timeOf(a.GetNextAttemptScheduleTime())
	return r
}

// timeOf is t, or nil if it is not set.
func timeOf(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	v := t.AsTime()
	return &v
}

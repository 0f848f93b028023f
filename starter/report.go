package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/workflows"
)

// queryTimeout bounds the status query of one source. Only a worker can answer it, and the
// server holds it while the source's workflow task is open: for as long as a tick's first
// delivery attempt waits on the sink (up to the worker's --delivery-timeout).
const queryTimeout = 2 * time.Second

// Where a report's status comes from.
const (
	fromQuery  = "query"  // the source answered its status query
	fromServer = "server" // it did not: what the server knows, and Note says why
)

// report is one source as describe and list show it: the status that the source answers, or
// what the server knows of it when it cannot answer, with the execution's real status.
type report struct {
	workflows.Status
	// Execution is the run's status as Temporal has it: running, completed, terminated,
	// canceled, timed out or failed.
	Execution string     `json:"execution"`
	CloseTime *time.Time `json:"closeTime,omitempty"`
	// StatusFrom is fromQuery or fromServer.
	StatusFrom string `json:"statusFrom"`
	Note       string `json:"note,omitempty"`
	// AsOfRunStart, in a status from the server, is when the run started: the configuration
	// and the counts are those it started with, read from its input.
	AsOfRunStart *time.Time `json:"asOfRunStart,omitempty"`
	// SearchAttributes, in a status from the server, are the run's CronSource* search
	// attributes, which are current.
	SearchAttributes map[string]any `json:"searchAttributes,omitempty"`
	// Retry is the tick in flight while Temporal retries it, from the pending activity.
	Retry *retry `json:"retry,omitempty"`

	exec run // what the report was built from
}

// inspect asks a source for its status, for at most queryTimeout, and falls back on what the
// server knows of it when it does not answer.
func inspect(ctx context.Context, c client.Client, namespace string, r run) report {
	st, err := queryStatus(ctx, c, namespace, r)
	if err == nil {
		return reportFromQuery(st, r)
	}
	return fallback(ctx, c, namespace, r, err)
}

// fallback is the report built from the server alone, saying why the source did not answer
// (queryErr).
func fallback(ctx context.Context, c client.Client, namespace string, r run, queryErr error) report {
	if !r.described {
		if d, err := describeRun(ctx, c, r.id(), r.info.GetExecution().GetRunId()); err == nil {
			r = d
		}
	}
	why := whyNoAnswer(queryErr, r)
	in, err := runInput(ctx, c, namespace, r.info.GetExecution())
	if err != nil {
		return reportFromServer(r, nil, why+"; "+oneLine(err))
	}
	return reportFromServer(r, &in, why+"; configuration and counts are as of the run's start")
}

// queryStatus asks the source for its status, for at most queryTimeout: the latest run while
// it runs, this run once it has closed. It makes the call itself: client.QueryWorkflow would
// give the server only half of that time and keep the rest for a retry.
func queryStatus(ctx context.Context, c client.Client, namespace string, r run) (workflows.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	exec := &commonpb.WorkflowExecution{WorkflowId: r.id()}
	if closed(r.status()) {
		exec.RunId = r.info.GetExecution().GetRunId()
	}
	var st workflows.Status
	resp, err := c.WorkflowService().QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{
		Namespace: namespace, Execution: exec, Query: &querypb.WorkflowQuery{QueryType: workflows.QueryStatus},
	})
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case err != nil && (errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &deadline)):
		return st, fmt.Errorf("query source %q: %w", r.id(), noAnswer{})
	case err != nil:
		return st, fmt.Errorf("query source %q: %w", r.id(), err)
	}
	// The source's worker encodes its answer with the SDK's default data converter.
	if err := converter.GetDefaultDataConverter().FromPayloads(resp.GetQueryResult(), &st); err != nil {
		return st, fmt.Errorf("decode status of %q: %w", r.id(), err)
	}
	return st, nil
}

// noAnswer: no worker answered the status query within queryTimeout.
type noAnswer struct{}

func (noAnswer) Error() string { return fmt.Sprintf("no answer within %v", queryTimeout) }

// notAsked: list ran out of time before it could ask the source.
type notAsked struct{}

func (notAsked) Error() string {
	return fmt.Sprintf("not asked: list spent its %v on other sources", queryTimeout)
}

// whyNoAnswer says, in a line, why the source did not answer its status query (err), from
// what the server knows of its run.
func whyNoAnswer(err error, r run) string {
	started := r.task.GetOriginalScheduledTime()
	if started == nil {
		started = r.task.GetStartedTime()
	}
	switch {
	case errors.As(err, &notAsked{}):
		return notAsked{}.Error()
	case !errors.As(err, &noAnswer{}):
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // without queryStatus's "query source ..."
		}
		return "the status query failed: " + oneLine(err)
	case r.task.GetState() == enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED && started != nil:
		return fmt.Sprintf("the source did not answer within %v: its workflow task has been open since %s, "+
			"as while a tick's first delivery attempt waits on the sink (up to the worker's --delivery-timeout)",
			queryTimeout, timeText(started.AsTime()))
	case closed(r.status()):
		return fmt.Sprintf("no worker answered within %v to replay the closed run", queryTimeout)
	}
	return fmt.Sprintf("no worker answered within %v", queryTimeout)
}

// reportFromQuery is the source's own status, corrected by the execution's: a run that was
// terminated, canceled, timed out or failed replays as a source at work.
func reportFromQuery(st workflows.Status, r run) report {
	rep := report{Status: st, Execution: executionText(r.status()), CloseTime: timeOf(r.info.GetCloseTime()),
		StatusFrom: fromQuery, Retry: retryOf(r.activity), exec: r}
	if closed(r.status()) {
		rep.Finished = true
		rep.NextFireTime, rep.NextFireTimes = nil, []time.Time{}
	}
	return rep
}

// reportFromServer is what the server knows of run r: its execution status, its search
// attributes, its pending activity and, if in is not nil, the configuration and counts it
// started with. It has no next fire time: only the source can compute it.
func reportFromServer(r run, in *workflows.Input, note string) report {
	st := workflows.Status{WorkflowID: r.id(), NextFireTimes: []time.Time{}}
	var asOf *time.Time
	if in != nil {
		st = workflows.StatusAtStart(r.id(), *in)
		asOf = timeOf(r.info.GetStartTime())
	}
	st.Finished = closed(r.status())
	sa := searchAttributes(r.info.GetSearchAttributes())
	if p, ok := sa[searchattr.Paused].(bool); ok {
		// Current, unlike the input. A pause since the run's start has a reason it cannot tell.
		if !p || !st.Paused {
			st.PauseReason = ""
		}
		st.Paused = p
	}
	return report{Status: st, Execution: executionText(r.status()), CloseTime: timeOf(r.info.GetCloseTime()),
		StatusFrom: fromServer, Note: note, AsOfRunStart: asOf, SearchAttributes: sa, Retry: retryOf(r.activity), exec: r}
}

// showsClose: the report shows how the run closed, not the source's own end: the run was cut
// short, or closed with no worker to say how the source ended.
func (r report) showsClose() bool {
	s := r.exec.status()
	return cutShort(s) || (closed(s) && r.StatusFrom == fromServer)
}

// State is the source's state: its own (running, paused, stopping, ended, stopped) unless
// the report shows how the run closed: then that and when ("terminated at ...").
func (r report) State() string {
	switch {
	case !r.showsClose():
		return r.Status.State()
	case r.CloseTime == nil:
		return r.Execution
	}
	return r.Execution + " at " + timeText(*r.CloseTime)
}

// schedule is the source's schedule, as CronSourceSchedule says it now where it is set.
func (r report) schedule() string {
	if s, ok := r.SearchAttributes[searchattr.Schedule].(string); ok && s != "" {
		return s
	}
	return r.Status.Schedule()
}

// nextText is the next fire time, or why there is none.
func (r report) nextText() string {
	switch {
	case r.NextFireTime != nil:
		return timeText(*r.NextFireTime)
	case r.showsClose():
		return "none (" + r.Execution + ")"
	case r.StatusFrom == fromServer:
		return "unknown (the source did not answer)"
	}
	return "none (" + r.NoNextFireTime() + ")"
}

// timeText is how describe and list print a time.
func timeText(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/workflows"
)

// at is a time of the tests' runs: at(0) the run's start, at(1) its open workflow task's
// start, at(2) its close.
func at(minute int) time.Time { return time.Date(2026, 11, 26, 4, minute, 0, 0, time.UTC) }

// sourceInput is the input of a source's run that continued as new after 4 ticks, with
// passwords in its sink URLs.
func sourceInput() workflows.Input {
	return workflows.Input{
		Config: workflows.Config{Interval: time.Second, Sink: "http://cron:s3cret@sink", DeadLetterSink: "http://dl:s3cret@dls"},
		State: workflows.State{Sequence: 4, Delivered: 3, Rejected: 1, Anchor: at(0), Cursor: at(0).Add(4 * time.Second),
			InFlight: &workflows.InFlight{Tick: contract.Tick{Sequence: 5, ID: "i-5", Time: at(0).Add(5 * time.Second)}, Slot: true}},
	}
}

// stalled is a running source whose workflow task has been open since at(1), with its search
// attributes.
func stalled(paused bool) run {
	info := execInfo("src", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, at(0), time.Time{})
	info.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
	for name, v := range map[string]any{searchattr.Schedule: "every 2s", searchattr.Paused: paused} {
		p, _ := converter.GetDefaultDataConverter().ToPayload(v)
		info.SearchAttributes.IndexedFields[name] = p
	}
	return run{info: info, described: true, task: &workflowpb.PendingWorkflowTaskInfo{
		State: enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED, StartedTime: timestamppb.New(at(1)),
	}}
}

func closedRun(status enumspb.WorkflowExecutionStatus) run {
	return run{info: execInfo("src", status, at(0), at(2)), described: true}
}

func TestReportFromServer(t *testing.T) {
	in := sourceInput()
	pausedIn := sourceInput()
	pausedIn.State.Paused, pausedIn.State.PauseReason = true, "maintenance"
	tests := []struct {
		name     string
		run      run
		in       *workflows.Input
		state    string
		next     string
		finished bool
	}{
		{"stalled", stalled(false), &in, "running", "unknown (the source did not answer)", false},
		{"paused since its start", stalled(true), &in, "paused", "unknown (the source did not answer)", false},
		{"paused at its start, still paused", stalled(true), &pausedIn, "paused (maintenance)", "unknown (the source did not answer)", false},
		{"paused at its start, resumed since", stalled(false), &pausedIn, "running", "unknown (the source did not answer)", false},
		{"terminated", closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED), &in,
			"terminated at 2026-11-26T04:02:00.000Z", "none (terminated)", true},
		{"timed out", closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT), &in,
			"timed out at 2026-11-26T04:02:00.000Z", "none (timed out)", true},
		{"completed, no worker to replay it", closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED), &in,
			"completed at 2026-11-26T04:02:00.000Z", "none (completed)", true},
		{"input unreadable", stalled(false), nil, "running", "unknown (the source did not answer)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := reportFromServer(tt.run, tt.in, "why")
			if rep.StatusFrom != fromServer || rep.Note != "why" || rep.WorkflowID != "src" {
				t.Errorf("statusFrom %q, note %q, id %q; want server, why, src", rep.StatusFrom, rep.Note, rep.WorkflowID)
			}
			if got := rep.State(); got != tt.state {
				t.Errorf("State = %q, want %q", got, tt.state)
			}
			if got := rep.nextText(); got != tt.next {
				t.Errorf("nextText = %q, want %q", got, tt.next)
			}
			if rep.Finished != tt.finished || rep.NextFireTime != nil || rep.NextFireTimes == nil || len(rep.NextFireTimes) != 0 {
				t.Errorf("finished %v, next %v %v; want finished %v and no next fire time", rep.Finished, rep.NextFireTime, rep.NextFireTimes, tt.finished)
			}
			if tt.in == nil {
				if rep.AsOfRunStart != nil || rep.Sequence != 0 {
					t.Errorf("no input, but as of %v, sequence %d", rep.AsOfRunStart, rep.Sequence)
				}
				return
			}
			if rep.AsOfRunStart == nil || !rep.AsOfRunStart.Equal(at(0)) {
				t.Errorf("asOfRunStart %v, want %v", rep.AsOfRunStart, at(0))
			}
			if rep.Sequence != 4 || rep.Delivered != 3 || rep.Rejected != 1 || rep.InFlight == nil || rep.InFlight.Sequence != 5 ||
				rep.Interval != "1s" || rep.Catchup != "all" || rep.Type != workflows.DefaultType || rep.ContentMode != "binary" {
				t.Errorf("status %+v, want the input's configuration and counts with defaults", rep.Status)
			}
			if rep.Sink != "http://cron:xxxxx@sink" || rep.DeadLetterSink != "http://dl:xxxxx@dls" {
				t.Errorf("sinks %q, %q: want the passwords masked", rep.Sink, rep.DeadLetterSink)
			}
		})
	}
}

func TestReportFromQuery(t *testing.T) {
	next := at(2).Add(time.Hour)
	running := workflows.Status{WorkflowID: "src", Interval: "1s", Sequence: 9, NextFireTime: &next, NextFireTimes: []time.Time{next}}
	stopped := workflows.Status{WorkflowID: "src", Finished: true, Stopping: true, NextFireTimes: []time.Time{}}
	retrying := stalled(false)
	retrying.task = nil
	retrying.activity = &workflowpb.PendingActivityInfo{ActivityType: &commonpb.ActivityType{Name: "Deliver"}, Attempt: 4,
		LastFailure: &failurepb.Failure{Message: "sink answered 503 Service Unavailable"}}
	tests := []struct {
		name     string
		st       workflows.Status
		run      run
		state    string
		next     string
		finished bool
		retry    bool
	}{
		{"running", running, stalled(false), "running", "2026-11-26T05:02:00.000Z", false, false},
		{"retrying", running, retrying, "running", "2026-11-26T05:02:00.000Z", false, true},
		// A worker replays a terminated or canceled run as a source at work.
		{"terminated", running, closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED),
			"terminated at 2026-11-26T04:02:00.000Z", "none (terminated)", true, false},
		{"canceled", running, closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED),
			"canceled at 2026-11-26T04:02:00.000Z", "none (canceled)", true, false},
		{"failed", running, closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_FAILED),
			"failed at 2026-11-26T04:02:00.000Z", "none (failed)", true, false},
		{"stopped", stopped, closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED), "stopped", "none (the source has ended)", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := reportFromQuery(tt.st, tt.run)
			if rep.StatusFrom != fromQuery || rep.Note != "" || rep.Execution != executionText(tt.run.status()) {
				t.Errorf("statusFrom %q, note %q, execution %q", rep.StatusFrom, rep.Note, rep.Execution)
			}
			if got := rep.State(); got != tt.state {
				t.Errorf("State = %q, want %q", got, tt.state)
			}
			if got := rep.nextText(); got != tt.next {
				t.Errorf("nextText = %q, want %q", got, tt.next)
			}
			if rep.Finished != tt.finished || (tt.finished && (rep.NextFireTime != nil || len(rep.NextFireTimes) != 0)) {
				t.Errorf("finished %v, next %v %v; want finished %v", rep.Finished, rep.NextFireTime, rep.NextFireTimes, tt.finished)
			}
			if (rep.Retry != nil) != tt.retry {
				t.Errorf("retry %+v, want one: %v", rep.Retry, tt.retry)
			}
			if rep.Sequence != tt.st.Sequence {
				t.Errorf("sequence %d, want the query's %d", rep.Sequence, tt.st.Sequence)
			}
		})
	}
}

// TestReportJSONKeepsTheStatusFields: describe --output json still has every field it had.
func TestReportJSONKeepsTheStatusFields(t *testing.T) {
	keys := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	in := sourceInput()
	st := workflows.StatusAtStart("src", in)
	rep := keys(reportFromServer(closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED), &in, "why"))
	for k := range keys(st) {
		if _, ok := rep[k]; !ok {
			t.Errorf("the report has no %q", k)
		}
	}
	for k, want := range map[string]any{"execution": "terminated", "statusFrom": "server", "note": "why", "finished": true,
		"closeTime": "2026-11-26T04:02:00Z", "asOfRunStart": "2026-11-26T04:00:00Z"} {
		if rep[k] != want {
			t.Errorf("%s = %v, want %v", k, rep[k], want)
		}
	}
}

// statusPayloads is how a worker answers the status query.
func statusPayloads(t *testing.T, st workflows.Status) *workflowservice.QueryWorkflowResponse {
	t.Helper()
	ps, err := converter.GetDefaultDataConverter().ToPayloads(st)
	if err != nil {
		t.Fatal(err)
	}
	return &workflowservice.QueryWorkflowResponse{QueryResult: ps}
}

func TestInspect(t *testing.T) {
	answer := func(req *workflowservice.QueryWorkflowRequest) (*workflowservice.QueryWorkflowResponse, error) {
		return statusPayloads(t, workflows.Status{WorkflowID: req.GetExecution().GetWorkflowId(), Sequence: 12}), nil
	}
	deadline := func(*workflowservice.QueryWorkflowRequest) (*workflowservice.QueryWorkflowResponse, error) {
		return nil, serviceerror.NewDeadlineExceeded("query timed out before a worker could process it")
	}
	idle := stalled(false)
	idle.task = nil
	tests := []struct {
		name       string
		run        run
		query      func(*workflowservice.QueryWorkflowRequest) (*workflowservice.QueryWorkflowResponse, error)
		historyErr error
		from       string
		note       string // what the note starts with
		runID      string // of the query
		sequence   int64
	}{
		{"answers", stalled(false), answer, nil, fromQuery, "", "", 12},
		{"closed: asks that run", closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED), answer, nil, fromQuery, "", "src-run", 12},
		{"held by an open workflow task", stalled(false), nil, nil, fromServer,
			"the source did not answer within 2s: its workflow task has been open since 2026-11-26T04:01:00.000Z", "", 4},
		{"no worker", idle, deadline, nil, fromServer, "no worker answered within 2s; configuration and counts are as of the run's start", "", 4},
		{"closed, no worker", closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED), deadline, nil, fromServer,
			"no worker answered within 2s to replay the closed run", "src-run", 4},
		{"query failed", idle, func(*workflowservice.QueryWorkflowRequest) (*workflowservice.QueryWorkflowResponse, error) {
			return nil, serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down")
		}, nil, fromServer, "the status query failed: no poller seen", "", 4},
		{"history unreadable", idle, deadline, serviceerror.NewUnavailable("down"), fromServer,
			"no worker answered within 2s; read the run's first event: down", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{query: tt.query, history: startedEvent(t, sourceInput()), historyErr: tt.historyErr}
			c := &fakeClient{svc: svc}
			start := time.Now()
			rep := inspect(context.Background(), c, "ns", tt.run)
			if took := time.Since(start); took > queryTimeout+time.Second {
				t.Errorf("inspect took %v, want at most about %v", took, queryTimeout)
			}
			if rep.StatusFrom != tt.from || !strings.HasPrefix(rep.Note, tt.note) || rep.Sequence != tt.sequence {
				t.Errorf("statusFrom %q, note %q, sequence %d; want %q, %q…, %d", rep.StatusFrom, rep.Note, rep.Sequence, tt.from, tt.note, tt.sequence)
			}
			q := svc.queryRequests[0]
			if q.GetNamespace() != "ns" || q.GetQuery().GetQueryType() != workflows.QueryStatus ||
				q.GetExecution().GetWorkflowId() != "src" || q.GetExecution().GetRunId() != tt.runID {
				t.Errorf("query %v, want the status of src, run %q, in ns", q, tt.runID)
			}
			if len(c.describes) != 0 {
				t.Errorf("described %v again, though describe had", c.describes)
			}
		})
	}
}

// TestInspectAllBoundsManySilentSources: list asks at most listInFlight sources at once,
// within queryTimeout for all of them: sources that do not answer do not add up.
func TestInspectAllBoundsManySilentSources(t *testing.T) {
	const n = 3 * listInFlight
	var runs []run
	for i := range n {
		runs = append(runs, run{info: execInfo(fmt.Sprint("src-", i), enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, at(0), time.Time{})})
	}
	svc := &fakeService{history: startedEvent(t, sourceInput())} // queries never answered
	c := &fakeClient{svc: svc, describe: func(id, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
		return &workflowservice.DescribeWorkflowExecutionResponse{
			WorkflowExecutionInfo: execInfo(id, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, at(0), time.Time{}),
		}, nil
	}}
	start := time.Now()
	out := inspectAll(context.Background(), c, "ns", runs)
	if took := time.Since(start); took > queryTimeout+time.Second {
		t.Errorf("inspectAll of %d silent sources took %v, want about %v", n, took, queryTimeout)
	}
	if len(svc.queryRequests) > listInFlight {
		t.Errorf("%d queries sent, want at most %d: the others would have waited past the bound", len(svc.queryRequests), listInFlight)
	}
	notAskedCount := 0
	for i, l := range out {
		if l.WorkflowID != runs[i].id() || l.StatusFrom != fromServer || l.Sequence != 4 {
			t.Errorf("source %d: %s from %s, sequence %d; want %s from the server", i, l.WorkflowID, l.StatusFrom, l.Sequence, runs[i].id())
		}
		if strings.HasPrefix(l.Note, "not asked") {
			notAskedCount++
		}
	}
	if notAskedCount != n-len(svc.queryRequests) {
		t.Errorf("%d notes say not asked, want %d", notAskedCount, n-len(svc.queryRequests))
	}
	if len(c.describes) != n {
		t.Errorf("%d sources described, want all %d for their fallback", len(c.describes), n)
	}
}

func TestListRunsKeepsTheLatestRunOfEachSource(t *testing.T) {
	old := execInfo("a", enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, at(0), at(1))
	old.Execution.RunId = "a-old"
	c := &fakeClient{pages: map[string]*workflowservice.ListWorkflowExecutionsResponse{
		"": {Executions: []*workflowpb.WorkflowExecutionInfo{
			execInfo("b", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, at(0), time.Time{}), old,
		}, NextPageToken: []byte("2")},
		"2": {Executions: []*workflowpb.WorkflowExecutionInfo{
			execInfo("a", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, at(2), time.Time{}),
			execInfo("c", enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, at(0), at(1)),
		}},
	}}
	runs, more, err := listRuns(context.Background(), c, allQuery, 3)
	if err != nil || more {
		t.Fatalf("more %v, err %v; want all 3 listed", more, err)
	}
	limited, more, err := listRuns(context.Background(), &fakeClient{pages: c.pages}, allQuery, 2)
	if err != nil || !more || len(limited) != 2 {
		t.Errorf("with --limit 2: %d runs, more %v, err %v; want 2 and more", len(limited), more, err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.info.GetExecution().GetRunId())
	}
	if want := []string{"b-run", "a-run", "c-run"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("runs %v, want %v", got, want)
	}
	if len(c.queries) != 2 || c.queries[0] != allQuery || !strings.Contains(allQuery, "ExecutionStatus != 'ContinuedAsNew'") {
		t.Errorf("queries %q", c.queries)
	}
}

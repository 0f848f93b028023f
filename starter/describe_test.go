package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hello-cron/cronsource/workflows"
)

// rowsOf parses describe's text into its "name: value" rows, names with their indent.
func rowsOf(t *testing.T, text string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("line %q is not name: value", line)
		}
		if _, twice := rows[name]; twice {
			t.Errorf("row %q twice", name)
		}
		rows[name] = strings.TrimSpace(value)
	}
	return rows
}

func TestDescribeText(t *testing.T) {
	in := sourceInput()
	next := at(2).Add(time.Hour)
	answered := workflows.Status{WorkflowID: "src", Interval: "1s", Catchup: "all", Type: "t", Source: "s",
		Sequence: 9, NextFireTime: &next, NextFireTimes: []time.Time{next}}
	retrying := stalled(false)
	retrying.activity = &workflowpb.PendingActivityInfo{ActivityType: &commonpb.ActivityType{Name: "Deliver"}, Attempt: 4,
		LastFailure:             &failurepb.Failure{Message: "sink answered 503 Service Unavailable"},
		LastAttemptCompleteTime: timestamppb.New(at(1))}
	tests := []struct {
		name    string
		rep     report
		want    map[string]string // rows and their values
		without []string          // rows that must not be there
	}{
		{"answered, with a retry", reportFromQuery(answered, retrying), map[string]string{
			"execution": "running", "status from": "query", "state": "running", "last sequence": "9",
			"retrying":       "attempt 4 of Deliver, last failed at 2026-11-26T04:01:00.000Z: sink answered 503 Service Unavailable",
			"next fire time": "2026-11-26T05:02:00.000Z",
		}, []string{"as of the run's start", "  last sequence"}},
		{"terminated", reportFromQuery(answered, closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)), map[string]string{
			"execution": "terminated", "status from": "query", "state": "terminated at 2026-11-26T04:02:00.000Z",
			"next fire time": "none (terminated)", "next fire times": "none",
		}, []string{"retrying"}},
		{"from the server", reportFromServer(stalled(true), &in, "the source did not answer"), map[string]string{
			"execution": "running", "status from": "server (the source did not answer)", "state": "paused",
			"schedule": "every 2s (CronSourceSchedule)", "paused": "true (CronSourcePaused)",
			"next fire time":        "unknown (the source did not answer)",
			"as of the run's start": "2026-11-26T04:00:00.000Z", "  schedule": "every 1s", "  last sequence": "4",
			"  sink": "http://cron:xxxxx@sink", "  delivered": "3", "  in flight": "tick 5 (id i-5, time 2026-11-26T04:00:05Z)",
		}, []string{"last sequence", "next fire times", "  next fire time", "retrying"}},
		{"from the server, input unreadable", reportFromServer(closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED), nil, "why"), map[string]string{
			"execution": "canceled", "status from": "server (why)", "state": "canceled at 2026-11-26T04:02:00.000Z",
			"next fire time": "none (canceled)",
		}, []string{"as of the run's start", "  last sequence", "last sequence"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := describeText(&b, tt.rep); err != nil {
				t.Fatal(err)
			}
			rows := rowsOf(t, b.String())
			for name, want := range tt.want {
				if rows[name] != want {
					t.Errorf("%s: %q, want %q", name, rows[name], want)
				}
			}
			for _, name := range tt.without {
				if _, ok := rows[name]; ok {
					t.Errorf("row %q, want none", name)
				}
			}
			if strings.Contains(b.String(), "s3cret") {
				t.Errorf("the text shows a password:\n%s", b.String())
			}
			if t.Failed() {
				t.Logf("describe:\n%s", b.String())
			}
		})
	}
}

func TestListText(t *testing.T) {
	in := sourceInput()
	next := at(2).Add(time.Hour)
	answered := workflows.Status{WorkflowID: "ok", Interval: "1s", Sequence: 9, NextFireTime: &next, NextFireTimes: []time.Time{next}}
	alone := answered
	alone.WorkflowID, alone.SentAlone = "slow", true
	okRun := stalled(false)
	okRun.info.Execution.WorkflowId = "ok"
	gone := closedRun(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	gone.info.Execution.WorkflowId = "gone"
	sources := []listed{
		{WorkflowID: "ok", report: reportFromQuery(answered, okRun)},
		{WorkflowID: "src", report: reportFromServer(stalled(false), &in, "no worker answered within 2s")},
		{WorkflowID: "gone", report: reportFromQuery(answered, gone)},
		{WorkflowID: "slow", report: reportFromQuery(alone, okRun)},
	}
	var b bytes.Buffer
	if err := listText(&b, sources); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := [][]string{
		{"WORKFLOW ID", "STATE", "SCHEDULE", "SEQUENCE", "NEXT FIRE TIME", "STATUS FROM"},
		{"ok", "running", "every 1s", "9", "2026-11-26T05:02:00.000Z", "query"},
		{"src", "running", "every 2s", "4 at run start", "unknown (the source did not answer)", "server"},
		{"gone", "terminated at 2026-11-26T04:02:00.000Z", "every 1s", "9", "none (terminated)", "query"},
		{"slow", "running", "every 1s", "9", "2026-11-26T05:02:00.000Z", "query"},
	}
	notes := []string{
		"src: no worker answered within 2s",
		"slow: ticks sent alone: the sink did not answer within a batch's 10s; back in the batches once it answers within 5s",
	}
	if len(lines) != len(want)+len(notes) {
		t.Fatalf("list:\n%s\nwant %d lines", b.String(), len(want)+len(notes))
	}
	for i, cells := range want {
		got := strings.Split(strings.TrimSpace(lines[i]), "  ")
		var nonEmpty []string
		for _, c := range got {
			if c = strings.TrimSpace(c); c != "" {
				nonEmpty = append(nonEmpty, c)
			}
		}
		if strings.Join(nonEmpty, "|") != strings.Join(cells, "|") {
			t.Errorf("line %d: %q, want %q", i, strings.Join(nonEmpty, "|"), strings.Join(cells, "|"))
		}
	}
	if got := lines[len(want):]; !slices.Equal(got, notes) {
		t.Errorf("notes %q, want %q", got, notes)
	}
}

// TestDescribeSinkRows: describe names each sink's credential and the last rejection, and shows
// the events' subject and extensions.
func TestDescribeSinkRows(t *testing.T) {
	rejection := &workflows.RejectionStatus{Sequence: 7, ID: "run-7", Sink: "https://b.example.com/in", StatusCode: 403,
		Reason: "sink rejected the event: 403 Forbidden"}
	byWorkersSink := *rejection
	byWorkersSink.Sink = ""
	tests := []struct {
		name string
		st   workflows.Status
		want map[string]string
	}{
		{"defaults", workflows.Status{}, map[string]string{
			"sink": "(the worker's)", "dead-letter sink": "none", "last rejection": "none"}},
		{"credentials and a rejection", workflows.Status{Sink: "https://b.example.com/in", SinkCredential: "broker",
			DeadLetterSink: "https://dls.example.com/", DeadLetterSinkCredential: "dls", LastRejection: rejection}, map[string]string{
			"sink": "https://b.example.com/in (credential broker)", "dead-letter sink": "https://dls.example.com/ (credential dls)",
			"last rejection": "tick 7 (id run-7) by https://b.example.com/in: sink rejected the event: 403 Forbidden"}},
		{"subject and extensions", workflows.Status{Subject: "hello", Extensions: map[string]string{"team": "payments", "region": "eu"}},
			map[string]string{"subject": "hello", "extensions": "region=eu, team=payments"}},
		{"the worker's sink with a credential, rejected", workflows.Status{SinkCredential: "home", LastRejection: &byWorkersSink},
			map[string]string{"sink": "(the worker's) (credential home)",
				"last rejection": "tick 7 (id run-7) by the worker's sink: sink rejected the event: 403 Forbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := map[string]string{}
			for _, r := range append(configRows(tt.st), progressRows(report{Status: tt.st}, false)...) {
				rows[r[0]] = r[1]
			}
			for name, want := range tt.want {
				if rows[name] != want {
					t.Errorf("row %q = %q, want %q", name, rows[name], want)
				}
			}
		})
	}
}

package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

var start = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// attribute is the TemporalScheduledStartTime search attribute as the scheduler sets it.
func attribute(t *testing.T, at time.Time) map[string]*commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(at)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*commonpb.Payload{scheduledStartTime: p}
}

func TestTickFor(t *testing.T) {
	in := scheduledInput{Source: "urn:bench:3", StartAt: start, Interval: time.Second}
	tests := []struct {
		name       string
		in         scheduledInput
		workflowID string
		attrs      map[string]*commonpb.Payload
		wantSeq    int64
		wantTime   time.Time
		wantErr    bool
	}{
		{name: "first tick, from the search attribute", in: in, workflowID: "bench-3-2026-11-26T10:00:00Z",
			attrs: attribute(t, start), wantSeq: 1, wantTime: start},
		{name: "search attribute in another zone", in: in, workflowID: "bench-3-2026-11-26T10:00:07Z",
			attrs: attribute(t, start.Add(7*time.Second).In(time.FixedZone("CET", 3600))), wantSeq: 8, wantTime: start.Add(7 * time.Second)},
		{name: "search attribute without a time in the id", in: in, workflowID: "bench-3",
			attrs: attribute(t, start.Add(5*time.Second)), wantSeq: 6, wantTime: start.Add(5 * time.Second)},
		{name: "search attribute and id disagree", in: in, workflowID: "bench-3-2026-11-26T10:00:09Z",
			attrs: attribute(t, start.Add(5*time.Second)), wantErr: true},
		{name: "no search attribute: the id's time", in: in, workflowID: "bench-3-2026-11-26T10:01:00Z",
			wantSeq: 61, wantTime: start.Add(time.Minute)},
		{name: "5 s interval", in: scheduledInput{Source: "urn:bench:3", StartAt: start, Interval: 5 * time.Second},
			workflowID: "bench-3-2026-11-26T10:00:10Z", wantSeq: 3, wantTime: start.Add(10 * time.Second)},
		{name: "off the grid", in: scheduledInput{Source: "urn:bench:3", StartAt: start, Interval: 5 * time.Second},
			workflowID: "bench-3-2026-11-26T10:00:11Z", wantErr: true},
		{name: "before the first time", in: in, workflowID: "bench-3-2026-11-26T09:59:59Z", wantErr: true},
		{name: "no time anywhere", in: in, workflowID: "bench-3", wantErr: true},
		{name: "not a time at the end of the id", in: in, workflowID: "bench-3-2026-11-26T10:00:0xZ", wantErr: true},
		{name: "not UTC at the end of the id", in: in, workflowID: "bench-3-2026-11-26T10:00:00+01:00", wantErr: true},
		{name: "undecodable search attribute", in: in, workflowID: "bench-3-2026-11-26T10:00:00Z",
			attrs:   map[string]*commonpb.Payload{scheduledStartTime: {Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte("42")}},
			wantErr: true},
		{name: "no interval", in: scheduledInput{Source: "urn:bench:3", StartAt: start}, workflowID: "bench-3-2026-11-26T10:00:00Z", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tickFor(tt.in, tt.workflowID, tt.attrs)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("tickFor = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := contract.Tick{ID: tt.workflowID, Sequence: tt.wantSeq, Time: tt.wantTime, Type: workflows.DefaultType,
				Source: "urn:bench:3", WorkflowID: "bench-3"}
			if got.ID != want.ID || got.Sequence != want.Sequence || !got.Time.Equal(want.Time) || got.Type != want.Type ||
				got.Source != want.Source || got.WorkflowID != want.WorkflowID {
				t.Errorf("tickFor = %+v, want %+v", got, want)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("time in %v, want UTC", got.Time.Location())
			}
		})
	}
}

func TestScheduleInterval(t *testing.T) {
	tests := []struct {
		interval time.Duration
		ok       bool
	}{
		{time.Second, true},
		{5 * time.Second, true},
		{time.Hour, true},
		{250 * time.Millisecond, false},
		{1500 * time.Millisecond, false},
		{0, false},
	}
	for _, tt := range tests {
		if err := scheduleInterval(tt.interval); (err == nil) != tt.ok {
			t.Errorf("scheduleInterval(%v) = %v, want ok %v", tt.interval, err, tt.ok)
		}
	}
}

// TestScheduledTickDelivers runs the bench workflow with Deliver mocked: the tick from its
// search attribute goes to the first attempt, a local activity, and after a retryable failure
// to the regular activity, numbered as its second attempt.
func TestScheduledTickDelivers(t *testing.T) {
	unavailable := temporal.NewApplicationError("connection refused", contract.ErrUnavailable)
	rejected := temporal.NewNonRetryableApplicationError("bad request", contract.ErrRejected, nil)
	tests := []struct {
		name         string
		errs         []error // the answer of each call; nil delivers
		wantCalls    int
		wantRejected bool
	}{
		{name: "delivered at once", errs: []error{nil}, wantCalls: 1},
		{name: "delivered by the regular activity", errs: []error{unavailable, nil}, wantCalls: 2},
		{name: "rejected for good", errs: []error{rejected}, wantCalls: 1, wantRejected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflowWithOptions(scheduledTick, workflow.RegisterOptions{Name: scheduledTickWorkflow})
			var a *activities.Activities
			env.RegisterActivity(a)
			var mu sync.Mutex
			var got []contract.Tick
			env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(
				func(_ context.Context, tick contract.Tick) (contract.Receipt, error) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, tick)
					return contract.Receipt{StatusCode: 200}, tt.errs[len(got)-1]
				})
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "bench-3-2026-11-26T10:00:04Z"})
			at := start.Add(4 * time.Second)
			if err := env.SetSearchAttributesOnStart(map[string]any{scheduledStartTime: at}); err != nil {
				t.Fatal(err)
			}
			env.ExecuteWorkflow(scheduledTickWorkflow, scheduledInput{Source: "urn:bench:3", StartAt: start, Interval: time.Second})

			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			err := env.GetWorkflowError()
			if tt.wantRejected != (err != nil) || (err != nil && !contract.IsRejected(err)) {
				t.Fatalf("workflow error = %v, want rejected %v", err, tt.wantRejected)
			}
			if len(got) != tt.wantCalls {
				t.Fatalf("%d calls of Deliver, want %d", len(got), tt.wantCalls)
			}
			for i, tick := range got {
				if tick.ID != "bench-3-2026-11-26T10:00:04Z" || tick.Sequence != 5 || !tick.Time.Equal(at) ||
					tick.EarlierAttempts != int32(i) {
					t.Errorf("call %d: tick %+v, want sequence 5 at %v with %d earlier attempts", i, tick, at, i)
				}
			}
		})
	}
}

func TestInParallelJoinsErrors(t *testing.T) {
	boom := errors.New("boom")
	var mu sync.Mutex
	seen := map[int]bool{}
	err := inParallel(20, func(i int) error {
		mu.Lock()
		seen[i] = true
		mu.Unlock()
		if i%7 == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || len(seen) != 20 {
		t.Fatalf("err %v after %d calls, want boom after 20", err, len(seen))
	}
}

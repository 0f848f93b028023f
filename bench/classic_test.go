package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

// TestClassicSourceTicks runs the classic baseline's workflow with Deliver mocked for three and a
// half intervals: each tick goes to the regular activity at its time, numbered from 1, and a
// tick the sink rejects or answers late holds up only the ticks behind it.
func TestClassicSourceTicks(t *testing.T) {
	unavailable := temporal.NewApplicationError("connection refused", contract.ErrUnavailable)
	rejected := temporal.NewNonRetryableApplicationError("bad request", contract.ErrRejected, nil)
	first := start.Add(500 * time.Millisecond)
	tests := []struct {
		name    string
		errs    map[int]error // the answer of the nth call (from 1); nil delivers
		wantSeq []int64       // the tick of each call
		wantAt  []time.Duration
	}{
		{name: "every tick on time", wantSeq: []int64{1, 2, 3, 4},
			wantAt: []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}},
		{name: "a rejected tick is not retried", errs: map[int]error{2: rejected}, wantSeq: []int64{1, 2, 3, 4},
			wantAt: []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}},
		{name: "a retried tick goes before the next", errs: map[int]error{2: unavailable}, wantSeq: []int64{1, 2, 2, 3, 4},
			wantAt: []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.SetStartTime(start)
			env.RegisterWorkflowWithOptions(classicSource, workflow.RegisterOptions{Name: classicSourceWorkflow})
			var a *activities.Activities
			env.RegisterActivity(a)
			var mu sync.Mutex
			var got []contract.Tick
			var at []time.Duration
			env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(
				func(_ context.Context, tick contract.Tick) (contract.Receipt, error) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, tick)
					at = append(at, env.Now().Sub(first))
					return contract.Receipt{StatusCode: 200}, tt.errs[len(got)]
				})
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "bench-3"})
			env.RegisterDelayedCallback(env.CancelWorkflow, 4*time.Second)
			env.ExecuteWorkflow(classicSourceWorkflow, classicInput{Source: "urn:bench:3", StartAt: first, Interval: time.Second})

			if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
				t.Fatalf("workflow error = %v, want canceled", err)
			}
			if len(got) != len(tt.wantSeq) {
				t.Fatalf("%d calls of Deliver (%+v), want %d", len(got), got, len(tt.wantSeq))
			}
			for i, tick := range got {
				seq := tt.wantSeq[i]
				due := first.Add(time.Duration(seq-1) * time.Second)
				if tick.Sequence != seq || tick.ID != fmt.Sprintf("bench-3-%d", seq) || !tick.Time.Equal(due) ||
					tick.Source != "urn:bench:3" || tick.Type != workflows.DefaultType || tick.WorkflowID != "bench-3" {
					t.Errorf("call %d: tick %+v, want sequence %d due %v", i+1, tick, seq, due)
				}
				if at[i] != tt.wantAt[i] {
					t.Errorf("call %d at %v after the first time, want %v", i+1, at[i], tt.wantAt[i])
				}
			}
		})
	}
}

func TestClassicSourceRejectsNoInterval(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(classicSource, workflow.RegisterOptions{Name: classicSourceWorkflow})
	env.ExecuteWorkflow(classicSourceWorkflow, classicInput{Source: "urn:bench:3", StartAt: start})
	if err := env.GetWorkflowError(); err == nil {
		t.Fatal("a source with no interval ran, want an error")
	}
}

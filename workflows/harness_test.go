package workflows

// The harness that the workflow tests share: CronSource in the SDK's test environment with the
// Deliver and DeadLetter activities mocked, every call recorded, updates sent on the workflow
// clock, and the helpers that check what was sent.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// delivery is one call of the mocked Deliver activity.
type delivery struct {
	tick  contract.Tick
	at    time.Time // the workflow clock when the call began
	local bool      // a local activity
}

// harness runs CronSource in the test environment with Deliver mocked, and records every call.
type harness struct {
	env    *testsuite.TestWorkflowEnvironment
	mu     sync.Mutex
	starts []time.Time // the workflow clock when each call began
	got    []delivery
	// deadLetters are the calls of the mocked DeadLetter activity; deadLetterErr, if set,
	// says what each returns.
	deadLetters   []contract.DeadLetterRequest
	deadLetterErr func(n int) error
}

// answer says how call n (from 0) of Deliver behaves: how long it takes on the workflow clock,
// and what error it returns.
type answer struct {
	delay func(n int) time.Duration
	err   func(n int, tick contract.Tick) error
}

func newHarness(t *testing.T, ans answer) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	h := &harness{env: s.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(t0)
	var a *activities.Activities
	h.env.RegisterActivity(a)
	h.env.OnActivity(a.Deliver, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
		// Runs as the call begins, before the delay passes on the workflow clock.
		h.mu.Lock()
		defer h.mu.Unlock()
		h.starts = append(h.starts, h.env.Now())
		if ans.delay == nil {
			return 0
		}
		return ans.delay(len(h.starts) - 1)
	}).Return(func(ctx context.Context, tick contract.Tick) (contract.Receipt, error) {
		h.mu.Lock()
		n := len(h.got)
		h.got = append(h.got, delivery{tick: tick, at: h.starts[n], local: activity.GetInfo(ctx).IsLocalActivity})
		h.mu.Unlock()
		if ans.err != nil {
			if err := ans.err(n, tick); err != nil {
				return contract.Receipt{}, err
			}
		}
		return contract.Receipt{StatusCode: 200, Attempt: tick.EarlierAttempts + activity.GetInfo(ctx).Attempt}, nil
	})
	h.env.OnActivity(a.DeadLetter, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req contract.DeadLetterRequest) (contract.Receipt, error) {
			h.mu.Lock()
			h.deadLetters = append(h.deadLetters, req)
			n, fail := len(h.deadLetters)-1, h.deadLetterErr
			h.mu.Unlock()
			if fail != nil {
				if err := fail(n); err != nil {
					return contract.Receipt{}, err
				}
			}
			return contract.Receipt{StatusCode: 200}, nil
		}).Maybe()
	return h
}

// run executes the workflow until it continues as new, and returns the input it carries.
func (h *harness) run(t *testing.T, in Input) Input {
	t.Helper()
	h.env.ExecuteWorkflow(CronSource, in)
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	var next Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode continue-as-new input: %v", err)
	}
	return next
}

// statusDiff compares two statuses through their JSON, which is what users see.
func statusDiff(got, want Status) string {
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		return fmt.Sprintf("\n got %s\nwant %s", g, w)
	}
	return ""
}

func statesEqual(a, b State) bool {
	return a.InstanceID == b.InstanceID && a.Anchor.Equal(b.Anchor) && a.Sequence == b.Sequence &&
		a.Delivered == b.Delivered && a.Rejected == b.Rejected
}

// update sends an update at offset on the workflow clock and records how it ended.
func (h *harness) update(t *testing.T, at time.Duration, name string, args ...any) *updateResult {
	t.Helper()
	r := &updateResult{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, name+"-"+at.String(), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { r.rejected = err },
			OnComplete: func(v any, err error) { r.done, r.err = true, err },
		}, args...)
	}, at)
	return r
}

type updateResult struct {
	rejected error
	done     bool
	err      error
}

// finish runs the workflow until it completes on its own, fails the test otherwise, and
// returns the source's last status.
func (h *harness) finish(t *testing.T, in Input) Status {
	t.Helper()
	h.env.ExecuteWorkflow(CronSource, in)
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error = %v, want it to complete", err)
	}
	var st Status
	v, err := h.env.QueryWorkflow(QueryStatus)
	if err != nil {
		t.Fatalf("query the finished source: %v", err)
	}
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// sent lists the deliveries as (sequence, scheduled offset, sending offset) from t0.
func (h *harness) sent() []sentTick {
	var out []sentTick
	for _, d := range h.got {
		out = append(out, sentTick{d.tick.Sequence, d.tick.Time.Sub(t0), d.at.Sub(t0)})
	}
	return out
}

type sentTick struct {
	seq       int64
	scheduled time.Duration
	at        time.Duration
}

func checkSent(t *testing.T, got, want []sentTick) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("tick %d: sent %+v, want %+v (all: %v)", i, got[i], want[i], got)
		}
	}
}

func s(n int) time.Duration { return time.Duration(n) * time.Second }

func grace(d time.Duration) StopRequest { return StopRequest{Grace: &d} }

// failing answers 503 to tick seq for its first n attempts (n < 0: always).
func failing(seq int64, n int) answer {
	attempts := 0
	return answer{err: func(_ int, tick contract.Tick) error {
		if tick.Sequence != seq || tick.Sink == "http://new" {
			return nil
		}
		attempts++
		if n >= 0 && attempts > n {
			return nil
		}
		return temporal.NewApplicationError("sink answered 503", contract.ErrRetryable)
	}}
}

func ptr[T any](v T) *T { return &v }

package workflows

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
)

func TestTicksLandOnTheGrid(t *testing.T) {
	h := newHarness(t, answer{
		delay: func(int) time.Duration { return 3 * time.Second }, // a slow sink must not push later ticks back
	})
	h.run(t, Input{Config: Config{Interval: 10 * time.Second, ContinueAsNewAfter: 5}})

	if len(h.got) != 5 {
		t.Fatalf("got %d deliveries, want 5", len(h.got))
	}
	for i, d := range h.got {
		n := int64(i + 1)
		want := t0.Add(time.Duration(n) * 10 * time.Second)
		if d.tick.Sequence != n || !d.tick.Time.Equal(want) {
			t.Errorf("delivery %d: sequence %d at %v, want %d at %v", i, d.tick.Sequence, d.tick.Time, n, want)
		}
		if !d.at.Equal(want) {
			t.Errorf("tick %d sent at %v, want at its scheduled time %v", n, d.at, want)
		}
	}
}

func TestCatchUpDeliversMissedTicksBackToBack(t *testing.T) {
	// Tick 2 takes 35 s, so ticks 3, 4 and 5 (due at 30, 40 and 50 s) are late.
	h := newHarness(t, answer{delay: func(n int) time.Duration {
		if n == 1 {
			return 35 * time.Second
		}
		return 0
	}})
	h.run(t, Input{Config: Config{Interval: 10 * time.Second, ContinueAsNewAfter: 7}})

	caughtUp := t0.Add(55 * time.Second)
	wantAt := []time.Time{t0.Add(10 * time.Second), t0.Add(20 * time.Second),
		caughtUp, caughtUp, caughtUp, t0.Add(60 * time.Second), t0.Add(70 * time.Second)}
	if len(h.got) != len(wantAt) {
		t.Fatalf("got %d deliveries, want %d", len(h.got), len(wantAt))
	}
	for i, d := range h.got {
		n := int64(i + 1)
		if d.tick.Sequence != n || !d.tick.Time.Equal(t0.Add(time.Duration(n)*10*time.Second)) {
			t.Errorf("delivery %d: tick %d scheduled %v: not on the grid in order", i, d.tick.Sequence, d.tick.Time)
		}
		if !d.at.Equal(wantAt[i]) {
			t.Errorf("tick %d sent at +%v, want +%v", n, d.at.Sub(t0), wantAt[i].Sub(t0))
		}
	}
}

func TestRetriesResendTheSameEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		// wait is the least time between the first attempt, a local activity, and the second,
		// the regular activity's first.
		wait time.Duration
	}{
		{"503", temporal.NewApplicationError("sink answered 503", contract.ErrRetryable), time.Second},
		{"429 with Retry-After", temporal.NewApplicationErrorWithOptions("sink answered 429", contract.ErrRetryable,
			temporal.ApplicationErrorOptions{NextRetryDelay: 5 * time.Second}), 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, answer{err: func(n int, _ contract.Tick) error {
				if n < 3 {
					return tc.err
				}
				return nil
			}})
			next := h.run(t, Input{Config: Config{Interval: time.Second, ContinueAsNewAfter: 2}})

			if len(h.got) != 5 {
				t.Fatalf("got %d calls, want 3 failed attempts of tick 1, its success and tick 2", len(h.got))
			}
			first := h.got[0].tick
			if first.EarlierAttempts != 0 {
				t.Errorf("first attempt has EarlierAttempts %d, want 0", first.EarlierAttempts)
			}
			want, err := activities.NewEvent(first, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < 4; i++ {
				tick := h.got[i].tick
				if tick.EarlierAttempts != 1 {
					t.Errorf("attempt %d: EarlierAttempts %d, want 1: the local attempt", i+1, tick.EarlierAttempts)
				}
				if got, err := activities.NewEvent(tick, nil); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("attempt %d sent %v (%v), want the same event as attempt 1: %v", i+1, got, err, want)
				}
			}
			if gap := h.got[1].at.Sub(h.got[0].at); gap < tc.wait {
				t.Errorf("second attempt %v after the first, want at least %v", gap, tc.wait)
			}
			if h.got[4].tick.Sequence != 2 || h.got[4].tick.ID == first.ID || h.got[4].tick.EarlierAttempts != 0 {
				t.Errorf("after the retries got tick %+v, want sequence 2 with a new id, sent locally first", h.got[4].tick)
			}
			if next.State.Retried != 3 || next.State.Delivered != 2 {
				t.Errorf("state counts retried %d delivered %d, want 3 and 2", next.State.Retried, next.State.Delivered)
			}
		})
	}
}

func TestRejectedTickMovesOnToTheNext(t *testing.T) {
	h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
		if tick.Sequence == 2 {
			return temporal.NewNonRetryableApplicationError("sink rejected the event: 400", contract.ErrRejected, nil)
		}
		return nil
	}})
	next := h.run(t, Input{Config: Config{Interval: time.Second, ContinueAsNewAfter: 4}})

	var seqs []int64
	for _, d := range h.got {
		seqs = append(seqs, d.tick.Sequence)
	}
	if len(seqs) != 4 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 3 || seqs[3] != 4 {
		t.Fatalf("sequences sent = %v, want [1 2 3 4] with tick 2 sent once", seqs)
	}
	if next.State.Delivered != 3 || next.State.Rejected != 1 || next.State.Sequence != 4 {
		t.Errorf("state = %+v, want 3 delivered, 1 rejected, sequence 4", next.State)
	}
}

func TestContinueAsNewCarriesTheState(t *testing.T) {
	first := newHarness(t, answer{})
	cfg := Config{Interval: 2 * time.Second, ContinueAsNewAfter: 3}
	carried := first.run(t, Input{Config: cfg})

	if want := cfg.withDefaults(); !reflect.DeepEqual(carried.Config, want) {
		t.Errorf("carried config = %+v, want %+v", carried.Config, want)
	}
	wantState := State{InstanceID: "default-test-run-id", Anchor: t0, Sequence: 3, Delivered: 3}
	if !statesEqual(carried.State, wantState) {
		t.Fatalf("carried state = %+v, want %+v", carried.State, wantState)
	}

	// The next run goes on from there, even though its clock starts later: the anchor, the
	// instance id and the sequence all carry over.
	carried.State.InstanceID = "first-run"
	second := newHarness(t, answer{})
	second.env.SetStartTime(t0.Add(6*time.Second + 300*time.Millisecond))
	after := second.run(t, carried)

	for i, d := range second.got {
		n := int64(4 + i)
		if d.tick.Sequence != n || d.tick.ID != EventID("first-run", n) ||
			!d.tick.Time.Equal(t0.Add(time.Duration(n)*2*time.Second)) {
			t.Errorf("second run delivery %d = %+v, want tick %d of first-run on the grid", i, d.tick, n)
		}
	}
	if after.State.Sequence != 6 || after.State.Delivered != 6 {
		t.Errorf("state after the second run = %+v, want sequence 6, 6 delivered", after.State)
	}
}

func TestContinuesAsNewWhenTheServerSuggests(t *testing.T) {
	h := newHarness(t, answer{})
	h.env.SetContinueAsNewSuggested(true)
	next := h.run(t, Input{Config: Config{Interval: time.Second}})
	if len(h.got) != 1 || next.State.Sequence != 1 {
		t.Errorf("delivered %d ticks, carried sequence %d; want 1 tick then continue-as-new", len(h.got), next.State.Sequence)
	}
}

func TestStatusQuery(t *testing.T) {
	times := func(from int) []time.Time {
		var ts []time.Time
		for n := from; n < from+NextFireTimes; n++ {
			ts = append(ts, t0.Add(time.Duration(n)*10*time.Second))
		}
		return ts
	}
	idle, busy := times(3), times(2)
	for _, tc := range []struct {
		name string
		sink string
		ans  answer
		want Status
	}{
		{
			name: "between ticks", sink: "http://sink:8080",
			want: Status{
				WorkflowID: "default-test-workflow-id", Interval: "10s", Type: DefaultType, Source: DefaultSource,
				Sink: "http://sink:8080", ContentMode: "binary", Catchup: "all", Anchor: t0, Sequence: 2,
				LastScheduledTime: t0.Add(20 * time.Second), NextFireTime: &idle[0], NextFireTimes: idle, Delivered: 2,
				RecentTicks: []TickRecord{delivered(1, s(10), s(10)), delivered(2, s(20), s(20))}, Backfills: []BackfillStatus{},
			},
		},
		{
			name: "tick in flight, sink password masked", sink: "http://user:secret@sink:8080",
			ans: answer{delay: func(n int) time.Duration { return time.Duration(n) * 20 * time.Second }},
			want: Status{
				WorkflowID: "default-test-workflow-id", Interval: "10s", Type: DefaultType, Source: DefaultSource,
				Sink: "http://user:xxxxx@sink:8080", ContentMode: "binary", Catchup: "all", Anchor: t0, Sequence: 1,
				LastScheduledTime: t0.Add(10 * time.Second), NextFireTime: &busy[0], NextFireTimes: busy, Delivered: 1,
				InFlight:    &TickStatus{Sequence: 2, ID: "default-test-run-id-2", Time: t0.Add(20 * time.Second)},
				RecentTicks: []TickRecord{delivered(1, s(10), s(10))}, Backfills: []BackfillStatus{},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.ans)
			var st Status
			h.env.RegisterDelayedCallback(func() {
				v, err := h.env.QueryWorkflow(QueryStatus)
				if err != nil {
					t.Errorf("query: %v", err)
					return
				}
				if err := v.Get(&st); err != nil {
					t.Errorf("decode status: %v", err)
				}
			}, 25*time.Second)
			h.run(t, Input{Config: Config{Interval: 10 * time.Second, Sink: tc.sink, ContinueAsNewAfter: 4}})
			if diff := statusDiff(st, tc.want); diff != "" {
				t.Errorf("status: %s", diff)
			}
		})
	}
}

// delivered is the record of tick seq, due at due and delivered at its first attempt at at.
func delivered(seq int64, due, at time.Duration) TickRecord {
	return TickRecord{Sequence: seq, ID: fmt.Sprintf("default-test-run-id-%d", seq), Time: t0.Add(due), FirstAttempt: t0.Add(at),
		LastAttempt: t0.Add(at), Attempts: 1, Outcome: OutcomeDelivered}
}

func TestInvalidConfigFailsTheWorkflow(t *testing.T) {
	h := newHarness(t, answer{})
	h.env.ExecuteWorkflow(CronSource, Input{Config: Config{Interval: time.Millisecond}})
	var appErr *temporal.ApplicationError
	if err := h.env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "InvalidConfig" {
		t.Fatalf("err = %v, want an InvalidConfig application error", err)
	}
	if len(h.got) != 0 {
		t.Errorf("delivered %d ticks, want none", len(h.got))
	}
}

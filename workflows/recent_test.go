package workflows

import (
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestRecentTicks: a source keeps its last RecentTicks ticks with their outcome, attempts,
// first and last attempt times and error, and carries them across continue-as-new.
func TestRecentTicks(t *testing.T) {
	failOnce := map[int64]bool{}
	h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
		switch {
		case tick.Sequence == 2:
			return temporal.NewNonRetryableApplicationError("sink rejected the event: 400 Bad Request", contract.ErrRejected, nil,
				contract.Rejection{Sink: "http://sink", StatusCode: 400, Attempt: 1})
		case tick.Sequence == 3 && !failOnce[3]:
			failOnce[3] = true
			return temporal.NewApplicationError("sink answered 503 Service Unavailable", contract.ErrRetryable)
		}
		return nil
	}})
	next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 6}})
	rec := next.State.Recent
	if len(rec) != 6 {
		t.Fatalf("recent %+v, want the 6 ticks of the run", rec)
	}
	if r := rec[1]; r.Sequence != 2 || r.Outcome != OutcomeRejected || r.Attempts != 1 || !strings.Contains(r.LastError, "400 Bad Request") {
		t.Errorf("tick 2: %+v, want rejected after 1 attempt with its error", r)
	}
	if r := rec[2]; r.Sequence != 3 || r.Outcome != OutcomeDelivered || r.Attempts != 2 || !r.FirstAttempt.Equal(t0.Add(s(30))) ||
		!r.LastAttempt.Equal(t0.Add(s(31))) || !strings.Contains(r.LastError, "503") {
		t.Errorf("tick 3: %+v, want delivered on attempt 2 at 31s, first at 30s, with the first attempt's error", r)
	}

	h2 := newHarness(t, answer{})
	next = h2.run(t, next)
	rec = next.State.Recent
	if len(rec) != RecentTicks || rec[0].Sequence != 3 || rec[RecentTicks-1].Sequence != 12 {
		t.Fatalf("recent after the second run: %d ticks from %d to %d, want %d from 3 to 12", len(rec), rec[0].Sequence,
			rec[len(rec)-1].Sequence, RecentTicks)
	}
}

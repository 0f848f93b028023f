package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestPauseOnFailure: after --pause-on-failure ticks in a row are rejected or undeliverable the
// source pauses itself, says why in its status, and sends nothing until it is resumed; the ticks
// due meanwhile follow the catch-up policy. A tick delivered between two failures starts the
// count again.
func TestPauseOnFailure(t *testing.T) {
	tests := []struct {
		name     string
		failing  map[int64]bool // ticks the sink rejects
		policy   *DeliveryPolicy
		sent     []int64 // the sequences sent, in order
		pausedAt time.Duration
		reason   string
	}{
		{name: "two rejected in a row", failing: map[int64]bool{2: true, 3: true},
			sent: []int64{1, 2, 3, 4, 5, 6}, pausedAt: s(30),
			reason: "paused on failure: 2 ticks in a row rejected or undeliverable (--pause-on-failure 2); the last, tick 3: rejected: sink rejected the event: 400"},
		{name: "two undeliverable in a row", failing: map[int64]bool{1: true, 2: true}, policy: &DeliveryPolicy{Retry: ptr(int32(0))},
			sent: []int64{1, 2, 3, 4, 5, 6}, pausedAt: s(20), reason: "the last, tick 2: undeliverable: no retry (--retry 0)"},
		{name: "a delivery between failures", failing: map[int64]bool{2: true, 4: true}, sent: []int64{1, 2, 3, 4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
				if !tt.failing[tick.Sequence] {
					return nil
				}
				if tt.policy != nil {
					return temporal.NewApplicationError("sink answered 503", contract.ErrRetryable)
				}
				return temporal.NewNonRetryableApplicationError("sink rejected the event: 400", contract.ErrRejected, nil,
					contract.Rejection{Sink: "http://sink", StatusCode: 400, Attempt: 1})
			}})
			var during Status
			h.env.RegisterDelayedCallback(func() {
				v, err := h.env.QueryWorkflow(QueryStatus)
				if err == nil {
					err = v.Get(&during)
				}
				if err != nil {
					t.Error(err)
				}
			}, s(45))
			resumed := h.update(t, s(45)+time.Millisecond, UpdateResume)
			next := h.run(t, Input{Config: Config{Interval: s(10), PauseOnFailure: 2, Delivery: tt.policy, ContinueAsNewAfter: 6}})
			var seqs []int64
			for _, d := range h.got {
				if len(seqs) == 0 || seqs[len(seqs)-1] != d.tick.Sequence {
					seqs = append(seqs, d.tick.Sequence)
				}
				if at := d.at.Sub(t0); tt.pausedAt != 0 && at > tt.pausedAt && at < s(45) {
					t.Errorf("tick %d sent at %v, while the source was paused", d.tick.Sequence, at)
				}
			}
			if !slices.Equal(seqs, tt.sent) {
				t.Errorf("sent %v, want %v", seqs, tt.sent)
			}
			if tt.reason == "" {
				if during.Paused || resumed.rejected != nil {
					t.Errorf("paused %v (%s), want running", during.Paused, during.PauseReason)
				}
				return
			}
			if !during.Paused || !strings.Contains(during.PauseReason, tt.reason) {
				t.Errorf("at 45s: paused %v, reason %q; want paused with %q", during.Paused, during.PauseReason, tt.reason)
			}
			if next.State.Paused || next.State.FailuresInARow != 0 || next.State.CaughtUp == 0 {
				t.Errorf("after the resume: %+v; want running, the count reset, the missed ticks caught up", next.State)
			}
		})
	}
}

package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestDeliveryPolicyGivesUp: a policy's retries, backoff and maximum age decide when each attempt
// of a failing tick goes (on the workflow clock), when the tick is given up, that it then goes to
// the dead-letter sink, and that the source goes on; a sink's Retry-After still sets its wait.
func TestDeliveryPolicyGivesUp(t *testing.T) {
	tests := []struct {
		name       string
		policy     DeliveryPolicy
		retryAfter time.Duration // the sink's, on every failure
		attempts   []time.Duration
		reason     string
	}{
		{name: "two linear retries", policy: DeliveryPolicy{Retry: ptr(int32(2)), Backoff: contract.Linear},
			attempts: []time.Duration{s(10), s(11), s(13)}, reason: "undeliverable: 2 retries spent (--retry); last error: sink answered 503"},
		{name: "three exponential retries of 500ms", policy: DeliveryPolicy{Retry: ptr(int32(3)), BackoffDelay: 500 * time.Millisecond},
			attempts: []time.Duration{s(10), s(11), s(13), s(17)}, reason: "3 retries spent"},
		{name: "no retry", policy: DeliveryPolicy{Retry: ptr(int32(0))},
			attempts: []time.Duration{s(10)}, reason: "undeliverable: no retry (--retry 0); error: sink answered 503"},
		{name: "a maximum age", policy: DeliveryPolicy{MaxAge: s(5)},
			attempts: []time.Duration{s(10), s(12)}, reason: "undeliverable: older than its --max-age 5s"},
		{name: "a maximum age before the first retry", policy: DeliveryPolicy{MaxAge: s(2)},
			attempts: []time.Duration{s(10)}, reason: "its next attempt would come after its --max-age 2s"},
		{name: "Retry-After within the retries", policy: DeliveryPolicy{Retry: ptr(int32(1)), Backoff: contract.Linear}, retryAfter: s(3),
			attempts: []time.Duration{s(10), s(13)}, reason: "1 retries spent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attempts := 0
			h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
				if tick.Sequence != 1 {
					return nil
				}
				attempts++
				wait := tt.retryAfter
				if wait == 0 {
					wait = tick.Delivery.Wait(int32(attempts)) // as the activity does
				}
				return temporal.NewApplicationErrorWithOptions("sink answered 503", contract.ErrRetryable,
					temporal.ApplicationErrorOptions{NextRetryDelay: wait})
			}})
			next := h.run(t, Input{Config: Config{Interval: s(10), DeadLetterSink: "http://dls", Delivery: &tt.policy, ContinueAsNewAfter: 2}})
			var got []time.Duration
			for _, d := range h.got {
				if d.tick.Sequence == 1 {
					got = append(got, d.at.Sub(t0))
				}
			}
			if !slices.Equal(got, tt.attempts) {
				t.Errorf("tick 1 attempted at %v, want %v", got, tt.attempts)
			}
			if len(h.deadLetters) != 1 || h.deadLetters[0].Tick.Sequence != 1 || !strings.Contains(h.deadLetters[0].Rejection.Reason, tt.reason) {
				t.Fatalf("dead letters %+v, want tick 1 with a reason containing %q", h.deadLetters, tt.reason)
			}
			st := next.State
			if st.Undeliverable != 1 || st.DeadLettered != 1 || st.Sequence != 2 || st.Delivered != 1 ||
				st.LastUndeliverable == nil || st.LastUndeliverable.Sequence != 1 {
				t.Errorf("state %+v, want tick 1 undeliverable and dead-lettered, tick 2 delivered", st)
			}
		})
	}
}

// TestDeliveryPolicyIsValidated: each bad field is refused by its flag's name.
func TestDeliveryPolicyIsValidated(t *testing.T) {
	tests := []struct {
		policy DeliveryPolicy
		want   string
	}{
		{DeliveryPolicy{Retry: ptr(int32(-1))}, "invalid --retry"},
		{DeliveryPolicy{Backoff: "quadratic"}, "invalid --backoff-policy"},
		{DeliveryPolicy{BackoffDelay: time.Millisecond}, "invalid --backoff-delay"},
		{DeliveryPolicy{BackoffDelay: 2 * time.Hour}, "invalid --backoff-delay"},
		{DeliveryPolicy{Timeout: AttemptTimeout}, "invalid --timeout"},
		{DeliveryPolicy{MaxAge: -time.Second}, "invalid --max-age"},
		{DeliveryPolicy{Retry: ptr(int32(0)), Backoff: contract.Linear, BackoffDelay: s(1), Timeout: s(5), MaxAge: time.Hour}, ""},
	}
	for _, tt := range tests {
		err := Config{Interval: s(10), Delivery: &tt.policy}.Validate()
		if (tt.want == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.policy.String(), err, tt.want)
		}
	}
}

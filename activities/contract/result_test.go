package contract

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
)

func TestRejectionOfOtherErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{name: "nil", err: nil},
		{name: "plain", err: errors.New("boom")},
		{name: "retryable", err: temporal.NewApplicationError("sink answered 503", ErrRetryable, Rejection{StatusCode: 503})},
		{name: "rejected without details", err: temporal.NewNonRetryableApplicationError("sink rejected", ErrRejected, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, ok := RejectionOf(tt.err); ok {
				t.Errorf("RejectionOf(%v) = %+v, true; want false", tt.err, r)
			}
		})
	}
}

// TestRejectionRoundTrip: RejectionOf reads back what Reject put in the error.
func TestRejectionRoundTrip(t *testing.T) {
	want := Rejection{Sink: "http://sink/in", StatusCode: 400, Data: []byte("bad"), Reason: "sink rejected the event: 400", Attempt: 2}
	err := Reject(want)
	got, ok := RejectionOf(err)
	if !ok || !IsRejected(err) || got.Sink != want.Sink || got.StatusCode != want.StatusCode ||
		string(got.Data) != string(want.Data) || got.Reason != want.Reason || got.Attempt != want.Attempt {
		t.Errorf("RejectionOf(Reject(%+v)) = %+v, %v (IsRejected %v)", want, got, ok, IsRejected(err))
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Message() != want.Reason {
		t.Errorf("Reject(%+v) = %v, want a non-retryable error with its reason as message", want, err)
	}
}

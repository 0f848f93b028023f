package activities

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestDeliveryPolicyOfAnAttempt: a source's delivery policy sets the wait after a retryable
// failure (the sink's Retry-After still wins) and bounds the attempt by its timeout; a rejection
// stays a rejection.
func TestDeliveryPolicyOfAnAttempt(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		stall      bool
		delivery   contract.Delivery
		earlier    int32
		wantType   string
		wantDelay  time.Duration
		wantInErr  string
	}{
		{name: "linear after attempt 1", status: 503, delivery: contract.Delivery{Backoff: contract.Linear, Delay: 200 * time.Millisecond},
			wantType: contract.ErrRetryable, wantDelay: 200 * time.Millisecond},
		{name: "linear after attempt 3", status: 503, earlier: 2, delivery: contract.Delivery{Backoff: contract.Linear, Delay: 200 * time.Millisecond},
			wantType: contract.ErrRetryable, wantDelay: 600 * time.Millisecond},
		{name: "exponential after attempt 2", status: 500, earlier: 1, delivery: contract.Delivery{Backoff: contract.Exponential, Delay: time.Second},
			wantType: contract.ErrRetryable, wantDelay: 4 * time.Second},
		{name: "Retry-After wins", status: 429, retryAfter: "7", delivery: contract.Delivery{Backoff: contract.Linear, Delay: time.Second},
			wantType: contract.ErrRetryable, wantDelay: 7 * time.Second},
		{name: "a rejection stays one", status: 400, delivery: contract.Delivery{Backoff: contract.Linear, Delay: time.Second},
			wantType: contract.ErrRejected},
		{name: "the timeout ends a stalled attempt", stall: true,
			delivery: contract.Delivery{Backoff: contract.Linear, Delay: time.Second, Timeout: 200 * time.Millisecond},
			wantType: contract.ErrUnavailable, wantDelay: time.Second, wantInErr: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.stall {
					select {
					case <-time.After(3 * time.Second):
					case <-r.Context().Done():
					}
					return
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			tk := tick()
			tk.Delivery, tk.EarlierAttempts = &tt.delivery, tt.earlier
			began := time.Now()
			_, err := deliver(t, New(srv.Client(), srv.URL, nil), tk)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != tt.wantType {
				t.Fatalf("err = %v, want type %s", err, tt.wantType)
			}
			if appErr.NextRetryDelay() != tt.wantDelay || appErr.NonRetryable() != (tt.wantType == contract.ErrRejected) {
				t.Errorf("next retry delay %v, non-retryable %v; want %v", appErr.NextRetryDelay(), appErr.NonRetryable(), tt.wantDelay)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("err %v, want it to say %q", err, tt.wantInErr)
			}
			if tt.stall && time.Since(began) > 2*time.Second {
				t.Errorf("the attempt took %v, want it ended by its 200ms timeout", time.Since(began))
			}
		})
	}
}

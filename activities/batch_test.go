package activities

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestDeliverBatch sends one batch to a sink that answers each tick by its sequence, and checks
// that every outcome reads back as what Deliver returns for that tick alone: a receipt, or an
// error of the same type, retryability, retry delay and rejection. All ticks are in flight at
// once: the sink holds every answer until the last request has come in.
func TestDeliverBatch(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		wantType   string // "" for delivered
		wantDelay  time.Duration
	}{
		{status: 200},
		{status: 400, wantType: contract.ErrRejected},
		{status: 503, retryAfter: "7", wantType: contract.ErrRetryable, wantDelay: 7 * time.Second},
		{status: 202},
		{status: 404, wantType: contract.ErrRetryable},
	}
	var all sync.WaitGroup
	all.Add(len(tests))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var seq int
		fmt.Sscan(r.Header.Get("Ce-Sequence"), &seq)
		all.Done()
		all.Wait()
		tt := tests[seq-1]
		if tt.retryAfter != "" {
			w.Header().Set("Retry-After", tt.retryAfter)
		}
		w.WriteHeader(tt.status)
	}))
	defer srv.Close()
	got := deliverBatch(t, New(srv.Client(), srv.URL, nil), batchTicks(len(tests)))
	if len(got) != len(tests) {
		t.Fatalf("%d outcomes for %d ticks", len(got), len(tests))
	}
	for i, tt := range tests {
		err := got[i].Err()
		if tt.wantType == "" {
			if err != nil || got[i].Receipt.StatusCode != tt.status || got[i].Receipt.Attempt != 1 {
				t.Errorf("tick %d: receipt %+v, err %v; want delivered with %d", i+1, got[i].Receipt, err, tt.status)
			}
			continue
		}
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != tt.wantType {
			t.Errorf("tick %d: err = %v, want type %s", i+1, err, tt.wantType)
			continue
		}
		if appErr.NonRetryable() != (tt.wantType == contract.ErrRejected) || appErr.NextRetryDelay() != tt.wantDelay {
			t.Errorf("tick %d: non-retryable %v, retry delay %v", i+1, appErr.NonRetryable(), appErr.NextRetryDelay())
		}
		if r, ok := contract.RejectionOf(err); ok != (tt.wantType == contract.ErrRejected) || (ok && r.StatusCode != tt.status) {
			t.Errorf("tick %d: RejectionOf = %+v, %v", i+1, r, ok)
		}
	}
}

// TestDeliverBatchGivesUpOnAStalledSink sends a batch in which one tick's sink never answers
// while the test runs. The batch must still answer, within its budget: the others delivered,
// the stalled one failed with the retryable ErrSlowInBatch (with the retry delay of its
// delivery policy), whether the budget or an HTTP timeout as long ended its request. The
// stalled handler is released only after the batch returned, so a batch that waited for it
// would never return.
func TestDeliverBatchGivesUpOnAStalledSink(t *testing.T) {
	const budget = 300 * time.Millisecond
	tests := []struct {
		name        string
		httpTimeout time.Duration
	}{
		{"the budget ends the request", 0},
		{"the HTTP timeout ends it, as long as the budget", budget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Ce-Sequence") == FormatSequence(2) {
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			defer close(release)
			ticks := batchTicks(3)
			for i := range ticks {
				ticks[i].Delivery = &contract.Delivery{Backoff: contract.Linear, Delay: 3 * time.Second}
			}
			client := srv.Client()
			client.Timeout = tt.httpTimeout
			a := New(client, srv.URL, nil)
			a.batchBudget = budget
			got := deliverBatch(t, a, ticks)
			for i, want := range []string{"", contract.ErrSlowInBatch, ""} {
				err := got[i].Err()
				if want == "" {
					if err != nil || got[i].Receipt.StatusCode != http.StatusAccepted {
						t.Errorf("tick %d: receipt %+v, err %v; want delivered", i+1, got[i].Receipt, err)
					}
					continue
				}
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != want || appErr.NonRetryable() {
					t.Fatalf("tick %d: err = %v, want a retryable %s", i+1, err, want)
				}
				if !contract.IsSlowInBatch(err) || contract.IsRejected(err) {
					t.Errorf("tick %d: IsSlowInBatch %v, IsRejected %v", i+1, contract.IsSlowInBatch(err), contract.IsRejected(err))
				}
				if d := appErr.NextRetryDelay(); d != 3*time.Second {
					t.Errorf("tick %d: retry delay %v, want the policy's 3s", i+1, d)
				}
			}
		})
	}
}

// batchTicks are n ticks of one source, sequences 1 to n.
func batchTicks(n int) []contract.Tick {
	ticks := make([]contract.Tick, n)
	for i := range ticks {
		ticks[i] = tick()
		ticks[i].Sequence = int64(i + 1)
		ticks[i].ID = fmt.Sprintf("run-1-%d", i+1)
	}
	return ticks
}

// deliverBatch runs a's DeliverBatch on ticks in the test environment and returns its outcomes.
func deliverBatch(t *testing.T, a *Activities, ticks []contract.Tick) []contract.BatchOutcome {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.DeliverBatch, ticks)
	if err != nil {
		t.Fatal(err)
	}
	var got []contract.BatchOutcome
	if err := v.Get(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

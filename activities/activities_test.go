package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

func TestDeliverClassifiesTheSinkAnswer(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		want       string // "delivered", or the error type
		wantDelay  time.Duration
	}{
		{status: 200, want: "delivered"},
		{status: 202, want: "delivered"},
		{status: 400, want: contract.ErrRejected},
		{status: 403, want: contract.ErrRejected},
		{status: 413, want: contract.ErrRejected},
		{status: 404, want: contract.ErrRetryable},
		{status: 408, want: contract.ErrRetryable},
		{status: 409, want: contract.ErrRetryable},
		{status: 429, retryAfter: "2", want: contract.ErrRetryable, wantDelay: 2 * time.Second},
		{status: 500, want: contract.ErrRetryable},
		{status: 503, retryAfter: "7", want: contract.ErrRetryable, wantDelay: 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			var got *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			receipt, err := deliver(t, New(srv.Client(), srv.URL, map[string]string{"team": "platform"}), tick())
			if tt.want == "delivered" {
				if err != nil || receipt.StatusCode != tt.status || receipt.Attempt != 1 {
					t.Fatalf("receipt %+v, err %v; want delivered with %d on attempt 1", receipt, err, tt.status)
				}
				if got.Header.Get("Ce-Id") != "run-1-3" || got.Header.Get("Ce-Sequence") != "0000000000000000003" ||
					got.Header.Get("Ce-Team") != "platform" || got.Header.Get("Content-Type") != "application/json" {
					t.Errorf("binary-mode headers = %v", got.Header)
				}
				return
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != tt.want {
				t.Fatalf("err = %v, want type %s", err, tt.want)
			}
			if appErr.NonRetryable() != (tt.want == contract.ErrRejected) {
				t.Errorf("non-retryable = %v for %s", appErr.NonRetryable(), tt.want)
			}
			if appErr.NextRetryDelay() != tt.wantDelay {
				t.Errorf("next retry delay = %v, want %v", appErr.NextRetryDelay(), tt.wantDelay)
			}
			if r, ok := contract.RejectionOf(err); ok != (tt.want == contract.ErrRejected) || (ok && r.StatusCode != tt.status) {
				t.Errorf("RejectionOf = %+v, %v", r, ok)
			}
		})
	}
}

func TestDeliverWithoutAnAnswerIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused
	_, err := deliver(t, New(http.DefaultClient, url, nil), tick())
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contract.ErrUnavailable || appErr.NonRetryable() {
		t.Fatalf("err = %v, want a retryable %s", err, contract.ErrUnavailable)
	}
}

func TestDeliverPrefersTheSourceSinkAndStructuredMode(t *testing.T) {
	var contentType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType = r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	tk := tick()
	tk.Sink, tk.ContentMode = srv.URL, contract.Structured
	receipt, err := deliver(t, New(srv.Client(), "http://127.0.0.1:1", nil), tk)
	if err != nil || receipt.Sink != srv.URL {
		t.Fatalf("receipt %+v, err %v; want delivered to the source's sink", receipt, err)
	}
	if contentType != "application/cloudevents+json" {
		t.Errorf("content type = %q, want structured mode", contentType)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"-1", 0}, {"soon", 0},
		{"99999999999", MaxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func tick() contract.Tick {
	return contract.Tick{ID: "run-1-3", Sequence: 3, Time: time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC),
		Type: "com.hello.cron-event", Source: "urn:hello-com:cron-source", WorkflowID: "hello-cron"}
}

func deliver(t *testing.T, a *Activities, tk contract.Tick) (contract.Receipt, error) {
	t.Helper()
	return execute(t, a, a.Deliver, tk)
}

// execute runs one of a's activities once in the test environment.
func execute(t *testing.T, a *Activities, activityFn, arg any) (contract.Receipt, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(activityFn, arg)
	if err != nil {
		return contract.Receipt{}, err
	}
	var r contract.Receipt
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	return r, nil
}

// TestSlowDeliveryHeartbeats runs Deliver from a workflow with a heartbeat timeout shorter than
// the sink's answer: the delivery succeeds only because the activity heartbeats while it waits.
// The sink answers once the activity has recorded three heartbeats (each HeartbeatInterval, so
// the delivery outlasts the heartbeat timeout) and the first has reached Temporal; without
// heartbeats it waits 2 s, and the activity times out.
//
// The SDK's test environment forwards a recorded heartbeat to its server at once, then at most one
// per 80% of the heartbeat timeout: it does not pass the worker option
// MaxHeartbeatThrottleInterval on (go.temporal.io/sdk v1.50.0, newTestActivityTaskHandler), so
// that setting it here changes nothing. Answering after the first forwarded heartbeat and before
// the second keeps the test off that 240 ms of the 300 ms timeout, so a loaded machine does not
// time it out; a worker in production sets MaxHeartbeatThrottleInterval to HeartbeatInterval.
func TestSlowDeliveryHeartbeats(t *testing.T) {
	const heartbeatTimeout = 300 * time.Millisecond
	recorded := make(chan struct{}, 64)  // by the activity
	forwarded := make(chan struct{}, 64) // to the test server
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		giveUp := time.After(2 * time.Second) // long past the heartbeat timeout, within the test's 3 s
		for nRecorded, nForwarded := 0, 0; nRecorded < 3 || nForwarded < 1; {
			select {
			case <-recorded:
				nRecorded++
			case <-forwarded:
				nForwarded++
			case <-giveUp:
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer sink.Close()
	a := New(sink.Client(), sink.URL, nil)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{
		Interceptors: []interceptor.WorkerInterceptor{&heartbeatCounter{recorded: recorded}},
		// The workflow is only this test's scaffolding: a loaded machine must not fail it as a
		// deadlock (the default allows a workflow task 1 s of wall-clock time).
		DeadlockDetectionTimeout: time.Minute,
	})
	env.RegisterActivity(a)
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { notify(forwarded) })
	env.ExecuteWorkflow(func(ctx workflow.Context) (contract.Receipt, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			HeartbeatTimeout:    heartbeatTimeout,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var r contract.Receipt
		err := workflow.ExecuteActivity(ctx, a.Deliver, tick()).Get(ctx, &r)
		return r, err
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("slow delivery failed: %v", err)
	}
	var r contract.Receipt
	if err := env.GetWorkflowResult(&r); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("receipt %+v, err %v; want delivered with 200", r, err)
	}
}

// TestHeartbeatOn: the heartbeat loop beats once per tick, and stop waits for a beat that runs
// and ends the loop for good.
func TestHeartbeatOn(t *testing.T) {
	tests := []struct {
		name  string
		ticks int
	}{
		{name: "no tick", ticks: 0},
		{name: "one tick", ticks: 1},
		{name: "five ticks", ticks: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticks := make(chan time.Time) // unbuffered: a send returns once the loop took the tick
			beats := make(chan struct{})
			release := make(chan struct{})
			stop := heartbeatOn(ticks, func() { beats <- struct{}{}; <-release })
			for i := 0; i < tt.ticks; i++ {
				ticks <- time.Time{}
				<-beats
				if i < tt.ticks-1 {
					release <- struct{}{}
				}
			}
			stopped := make(chan struct{})
			go func() { stop(); close(stopped) }()
			if tt.ticks > 0 {
				select {
				case <-stopped:
					t.Fatal("stop returned while a heartbeat was running")
				case <-time.After(50 * time.Millisecond):
				}
				release <- struct{}{}
			}
			<-stopped
			select {
			case ticks <- time.Time{}:
				t.Error("the loop took a tick after stop returned")
			default:
			}
		})
	}
}

// notify sends on c without blocking; c has room for more signals than a test waits for.
func notify(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// heartbeatCounter is a worker interceptor that signals recorded for every heartbeat an
// activity records, before the SDK batches it.
type heartbeatCounter struct {
	interceptor.WorkerInterceptorBase
	recorded chan<- struct{}
}

func (c *heartbeatCounter) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &heartbeatCounterInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next},
		recorded: c.recorded}
}

type heartbeatCounterInbound struct {
	interceptor.ActivityInboundInterceptorBase
	recorded chan<- struct{}
}

func (i *heartbeatCounterInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&heartbeatCounterOutbound{
		ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, recorded: i.recorded})
}

type heartbeatCounterOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	recorded chan<- struct{}
}

func (o *heartbeatCounterOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.Next.RecordHeartbeat(ctx, details...)
	notify(o.recorded)
}

// Package activities holds all of the source's I/O: it builds a tick's CloudEvent, posts it to
// the sink, and classifies the answer as delivered, retryable (through the activity's Temporal
// retry policy, the only retry layer) or rejected for good.
package activities

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Activities delivers ticks. Its methods are registered as Temporal activities.
type Activities struct {
	client      *http.Client
	defaultSink string
	overrides   map[string]string
}

// New returns the activities. defaultSink (the worker's --sink, K_SINK or SINK) is used for
// sources without a sink of their own and may be empty; overrides are the K_CE_OVERRIDES
// extensions.
func New(client *http.Client, defaultSink string, overrides map[string]string) *Activities {
	return &Activities{client: client, defaultSink: defaultSink, overrides: overrides}
}

// Receipt records a delivered tick.
type Receipt struct {
	Sink       string
	StatusCode int
}

// Deliver posts the tick's event to its sink once. It returns a Receipt for a 2xx answer, a
// non-retryable ErrRejected error for a permanent refusal, and a retryable error otherwise.
func (a *Activities) Deliver(ctx context.Context, t Tick) (Receipt, error) {
	logger := activity.GetLogger(ctx)
	sink := t.Sink
	if sink == "" {
		sink = a.defaultSink
	}
	if sink == "" {
		// Retried, not dropped: the tick waits until a worker with a sink picks it up.
		return Receipt{}, temporal.NewApplicationError(
			"no sink: the source has no --sink and the worker has no --sink, K_SINK or SINK", ErrNoSink)
	}
	event, err := t.Event(a.overrides)
	if err != nil {
		return Receipt{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrRejected, err)
	}
	if t.ContentMode == Structured {
		ctx = binding.WithForceStructured(ctx)
	}
	req, err := cehttp.NewHTTPRequestFromEvent(ctx, sink, event)
	if err != nil {
		return Receipt{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("build request for sink %s: %v", sink, err), ErrRejected, err)
	}
	stop := heartbeatUntilDone(ctx)
	resp, err := a.client.Do(req)
	stop()
	receipt, err := classify(resp, err, time.Now())
	receipt.Sink = sink
	fields := []any{"id", t.ID, "sequence", t.Sequence, "sink", sink,
		"attempt", activity.GetInfo(ctx).Attempt, "statusCode", receipt.StatusCode}
	switch {
	case err == nil:
		logger.Info("tick delivered", fields...)
	case IsRejected(err):
		logger.Error("tick rejected by the sink", append(fields, "error", err)...)
	default:
		logger.Warn("tick delivery failed, will retry", append(fields, "error", err)...)
	}
	return receipt, err
}

// heartbeatUntilDone heartbeats while a slow sink answers, so that Temporal retries the tick
// within the heartbeat timeout when this worker dies, not after the whole attempt timeout. A
// fast delivery ends before the first heartbeat and costs nothing.
func heartbeatUntilDone(ctx context.Context) (stop func()) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(timeout / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// classify turns the outcome of one POST into a receipt or an error for Temporal's retry policy.
// It closes the response body after reading at most a little of it.
func classify(resp *http.Response, err error, now time.Time) (Receipt, error) {
	if err != nil {
		return Receipt{}, temporal.NewApplicationError(fmt.Sprintf("post to sink: %v", err), ErrUnavailable)
	}
	defer resp.Body.Close()
	reason := readReason(resp.Body)
	r := Receipt{StatusCode: resp.StatusCode}
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return r, nil
	case retryableStatus(code):
		msg := fmt.Sprintf("sink answered %s%s", resp.Status, reason)
		return r, temporal.NewApplicationErrorWithOptions(msg, ErrRetryable, temporal.ApplicationErrorOptions{
			NextRetryDelay: retryAfter(resp.Header.Get("Retry-After"), now),
		})
	case code >= 400 && code < 500:
		return r, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("sink rejected the event: %s%s", resp.Status, reason), ErrRejected, nil)
	default:
		// 1xx and 3xx are not answers to a CloudEvent POST: keep the tick and try again.
		return r, temporal.NewApplicationError(fmt.Sprintf("sink answered %s%s", resp.Status, reason), ErrRetryable)
	}
}

// retryableStatus: the sink may accept the same event later.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// readReason returns the start of the response body, for error messages, and drains a bounded
// rest so that the connection can be reused.
func readReason(body io.Reader) string {
	buf, _ := io.ReadAll(io.LimitReader(body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	if len(buf) == 0 {
		return ""
	}
	return ": " + string(buf)
}

package activities

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
)

// The types of the errors that Deliver returns. Only ErrRejected is final.
const (
	// ErrRejected: the sink refused the event for good (a 4xx other than 404, 408, 409 and 429),
	// or the event could not be built. The source counts it and goes on to its next tick.
	ErrRejected = "SinkRejected"
	// ErrRetryable: the sink answered 404, 408, 409, 429, 5xx or another non-2xx status.
	ErrRetryable = "SinkRetryable"
	// ErrUnavailable: no answer (connection refused, reset, timeout, DNS).
	ErrUnavailable = "SinkUnavailable"
	// ErrNoSink: neither the source nor the worker has a sink.
	ErrNoSink = "NoSink"
)

// MaxRetryAfter bounds how long a Retry-After header can hold back the next attempt.
const MaxRetryAfter = time.Hour

// IsRejected reports whether err, as returned by Deliver or by the activity call in a workflow,
// is a final rejection of the tick.
func IsRejected(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrRejected
}

// retryAfter parses a Retry-After value, in seconds or as an HTTP date. Zero means none, so
// that the retry policy's backoff applies.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(secs, int(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

package contract

import (
	"errors"
	"fmt"

	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// The types of the errors that Deliver and DeadLetter return. Only ErrRejected is final.
const (
	// ErrRejected: the sink refused the event for good (a 4xx other than 404, 408, 409 and 429),
	// or the event could not be built. The source counts it and goes on to its next tick. The
	// error carries a Rejection: see RejectionOf.
	ErrRejected = "SinkRejected"
	// ErrRetryable: the sink answered 404, 408, 409, 429, 5xx or another non-2xx status, or a
	// redirect that was not followed (see sink.NewHTTPClient).
	ErrRetryable = "SinkRetryable"
	// ErrUnavailable: no answer (connection refused, reset, timeout, DNS).
	ErrUnavailable = "SinkUnavailable"
	// ErrNoSink: neither the source nor the worker has a sink.
	ErrNoSink = "NoSink"
	// ErrCredential: the tick names a sink credential that this worker does not have or cannot
	// read. It is retried: another worker, or this one once the credential is mounted, can send it.
	ErrCredential = "SinkCredentialUnavailable"
	// ErrSlowInBatch: the sink did not answer a tick of a group's batch (DeliverBatch) within
	// BatchBudget, so that the batch could answer its other ticks. The tick is retried alone,
	// and its source sends its next ticks alone too, until its sink answers one in time.
	ErrSlowInBatch = "SinkSlowInBatch"
)

// Receipt records a delivered tick.
type Receipt struct {
	Sink       string
	StatusCode int
	Attempt    int32 // the attempt that delivered it, from 1
}

// Rejection is why a sink refused a tick for good. It is the one detail of every ErrRejected
// error that Deliver and DeadLetter return; RejectionOf reads it back.
type Rejection struct {
	Sink       string // the URL that refused it
	StatusCode int    // 0 if the event could not even be built or sent
	Data       []byte // the start of the response body, at most MaxRejectionData bytes
	Reason     string // the error message
	Attempt    int32
}

// MaxRejectionData bounds Rejection.Data, as Knative eventing bounds the response body it keeps
// for the knativeerrordata extension (KnativeErrorDataExtensionMaxLength).
const MaxRejectionData = 1024

// Reject returns the final ErrRejected error for r, with r as its detail.
func Reject(r Rejection) error {
	return temporal.NewNonRetryableApplicationError(r.Reason, ErrRejected, nil, r)
}

// RejectionOf returns the Rejection that err carries, both as Deliver or DeadLetter return it
// and as a workflow gets it from the activity call (a *temporal.ActivityError wrapping the
// *temporal.ApplicationError). It reports false for any other error, including an ErrRejected
// error without details.
func RejectionOf(err error) (Rejection, bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrRejected || !appErr.HasDetails() {
		return Rejection{}, false
	}
	var r Rejection
	if err := appErr.Details(&r); err != nil {
		return Rejection{}, false
	}
	return r, true
}

// IsRejected reports whether err, as returned by Deliver or by the activity call in a workflow,
// is a final rejection of the tick.
func IsRejected(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrRejected
}

// IsSlowInBatch reports whether err is a tick's ErrSlowInBatch, from DeliverBatch.
func IsSlowInBatch(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrSlowInBatch
}

// BatchOutcome is one tick's answer in DeliverBatch's result: the Receipt of a delivered tick, or
// the error that Deliver returned for it, as a Temporal failure, so that the workflow reads it
// back as the same error a Deliver call gives: see Outcome and BatchOutcome.Err.
type BatchOutcome struct {
	Receipt Receipt `json:",omitzero"`
	Failure []byte  `json:",omitempty"` // a failure.v1.Failure in protobuf's wire format
}

// Outcome is the BatchOutcome of a Deliver call's receipt and error.
func Outcome(receipt Receipt, err error) BatchOutcome {
	if err == nil {
		return BatchOutcome{Receipt: receipt}
	}
	failure, merr := proto.Marshal(temporal.GetDefaultFailureConverter().ErrorToFailure(err))
	if merr != nil {
		failure, _ = proto.Marshal(temporal.GetDefaultFailureConverter().ErrorToFailure(
			temporal.NewApplicationError(err.Error(), ErrUnavailable)))
	}
	return BatchOutcome{Receipt: receipt, Failure: failure}
}

// Err is the error that the tick's Deliver returned, nil if it was delivered: an
// *temporal.ApplicationError of the same type, retryability, retry delay and details.
func (o BatchOutcome) Err() error {
	if o.Failure == nil {
		return nil
	}
	var f failurepb.Failure
	if err := proto.Unmarshal(o.Failure, &f); err != nil {
		return temporal.NewApplicationError(fmt.Sprintf("read the delivery's failure: %v", err), ErrUnavailable)
	}
	return temporal.GetDefaultFailureConverter().FailureToError(&f)
}

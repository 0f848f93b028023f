package activities

import (
	"context"
	"encoding/base64"
	"strconv"

	"go.temporal.io/sdk/activity"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// The extensions that Knative eventing sets on an event it sends to a dead-letter sink.
const (
	// KnativeErrorDestExtension is the URL of the sink that refused the event.
	KnativeErrorDestExtension = "knativeerrordest"
	// KnativeErrorCodeExtension is that sink's HTTP status, a decimal string.
	KnativeErrorCodeExtension = "knativeerrorcode"
	// KnativeErrorDataExtension is the start of that sink's response body, base64 (standard encoding)
	// and at most 1024 characters long.
	KnativeErrorDataExtension = "knativeerrordata"
)

// DeadLetter posts the tick's event to req.Sink with the extensions knativeerrordest (the URL
// that refused it or, for a tick abandoned by a stop, that it was being sent to: the worker's
// sink when the tick has none of its own), knativeerrorcode (its HTTP status, decimal string) and knativeerrordata (the
// start of its response body). Classification as Deliver: Receipt on 2xx, retryable errors,
// ErrRejected when the dead-letter sink itself refuses it for good (or req.Sink is empty).
func (a *Activities) DeadLetter(ctx context.Context, req contract.DeadLetterRequest) (contract.Receipt, error) {
	if req.Sink == "" {
		return contract.Receipt{}, contract.Reject(contract.Rejection{Reason: "no dead-letter sink",
			Attempt: activity.GetInfo(ctx).Attempt})
	}
	if req.Rejection.Sink == "" {
		req.Rejection.Sink = sinkref.WithoutUserinfo(a.sinkOf(req.Tick))
	}
	return a.post(ctx, req.Tick, req.Sink, req.Credential, errorExtensions(req.Rejection), outcomeLog{
		delivered:  "tick dead-lettered",
		rejected:   "tick rejected by the dead-letter sink",
		retrying:   "dead-letter delivery failed, will retry",
		fields:     []any{"rejectedBy", sinkref.Redact(req.Rejection.Sink), "rejectedWith", req.Rejection.StatusCode},
		deadLetter: true,
	})
}

// errorExtensions are Knative's error extensions for r, as Knative eventing's dispatcher sets
// them, with no user or password of the sink in knativeerrordest (they belong to that sink, not
// to the dead-letter sink): the body is base64-encoded and the encoding cut to 1024 characters. An empty body leaves
// out knativeerrordata and a status of 0 knativeerrorcode; the nil values remove any that
// K_CE_OVERRIDES set, so that the event never describes another rejection than r.
func errorExtensions(r contract.Rejection) map[string]any {
	ext := map[string]any{KnativeErrorDestExtension: nil, KnativeErrorCodeExtension: nil, KnativeErrorDataExtension: nil}
	if r.Sink != "" {
		ext[KnativeErrorDestExtension] = sinkref.WithoutUserinfo(r.Sink)
	}
	if r.StatusCode != 0 {
		ext[KnativeErrorCodeExtension] = strconv.Itoa(r.StatusCode)
	}
	if len(r.Data) > 0 {
		data := base64.StdEncoding.EncodeToString(r.Data)
		ext[KnativeErrorDataExtension] = data[:min(len(data), contract.MaxRejectionData)]
	}
	return ext
}

// Package activities holds all of the source's I/O: it builds a tick's CloudEvent, posts it to
// the sink, and classifies the answer as delivered, retryable (through the activity's Temporal
// retry policy, the only retry layer) or rejected for good. What it takes from the workflow and
// returns to it is in activities/contract.
package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
	sinkpkg "github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// Activities delivers ticks. Its methods are registered as Temporal activities.
type Activities struct {
	client      *http.Client
	defaultSink string
	overrides   map[string]string
	tracer      trace.Tracer
	policy      sinkpkg.Policy      // the sinks allowed; its Home is defaultSink
	credentials sinkpkg.Credentials // the sink credentials that sources name
	batchBudget time.Duration       // contract.BatchBudget, shorter in tests
}

// *Activities is what the workflow calls: contract.Activities.
var _ contract.Activities = (*Activities)(nil)

// New returns the activities. defaultSink (the worker's --sink, K_SINK or SINK) is used for
// sources without a sink of their own and may be empty; overrides are the K_CE_OVERRIDES
// extensions.
func New(client *http.Client, defaultSink string, overrides map[string]string, opts ...Option) *Activities {
	a := &Activities{client: client, defaultSink: defaultSink, overrides: overrides,
		tracer: noop.NewTracerProvider().Tracer(tracerName), batchBudget: contract.BatchBudget}
	for _, opt := range opts {
		opt(a)
	}
	a.policy.Home = defaultSink
	return a
}

// WithSinks sets the origins that sources may post to (the worker's own sink is always allowed;
// none allows any) and the folder of the sink credentials that sources may name.
func WithSinks(allowed sinkref.Origins, credentials sinkpkg.Credentials) Option {
	return func(a *Activities) { a.policy.Allowed, a.credentials = allowed, credentials }
}

// Deliver posts the tick's event to its sink once. It returns a Receipt for a 2xx answer, a
// non-retryable ErrRejected error carrying a Rejection for a permanent refusal, and a retryable
// error otherwise.
func (a *Activities) Deliver(ctx context.Context, t contract.Tick) (contract.Receipt, error) {
	sink := a.sinkOf(t)
	if sink == "" {
		// Retried, not dropped: the tick waits until a worker with a sink picks it up.
		return contract.Receipt{}, temporal.NewApplicationError(
			"no sink: the source has no --sink and the worker has no --sink, K_SINK or SINK", contract.ErrNoSink)
	}
	d := t.Delivery
	if d != nil && d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	receipt, err := a.post(ctx, t, sink, t.SinkCredential, nil, outcomeLog{
		delivered: "tick delivered",
		rejected:  "tick rejected by the sink",
		retrying:  "tick delivery failed, will retry",
	})
	if d != nil {
		err = withBackoff(err, d.Wait(t.EarlierAttempts+activity.GetInfo(ctx).Attempt))
	}
	return receipt, err
}

// sinkOf is where t goes: its own sink, or the worker's.
func (a *Activities) sinkOf(t contract.Tick) string {
	if t.Sink != "" {
		return t.Sink
	}
	return a.defaultSink
}

// outcomeLog is what post logs for each outcome of a POST.
type outcomeLog struct {
	delivered, rejected, retrying string
	fields                        []any // added to the fields of every line
	deadLetter                    bool  // a POST to the dead-letter sink, traced and counted as such
}

// post sends the tick's event to sink once, heartbeating while it waits, and classifies, logs,
// traces and counts the outcome. extensions are set last, so they win over K_CE_OVERRIDES; a nil
// value removes one. With tracing on, the event carries the span's traceparent.
func (a *Activities) post(ctx context.Context, t contract.Tick, sink, credential string, extensions map[string]any, l outcomeLog) (contract.Receipt, error) {
	attempt := t.EarlierAttempts + activity.GetInfo(ctx).Attempt
	ctx, span := a.startSpan(ctx, t, sink, attempt, l.deadLetter)
	receipt, location, err := a.send(ctx, t, target{sink, credential}, withTraceContext(ctx, extensions), attempt)
	lateness := max(time.Since(t.Time), 0)
	outcome := outcomeRetrying
	switch {
	case err == nil:
		outcome = outcomeDelivered
	case contract.IsRejected(err):
		outcome = outcomeRejected
	}
	endSpan(span, receipt, outcome, err)
	recordOutcome(ctx, l.deadLetter, outcome, t, lateness)
	// One structured line per attempt: which tick, how it went, how late after its time.
	fields := append([]any{"id", t.ID, "sequence", t.Sequence, "sink", sinkref.Redact(sink),
		"attempt", attempt, "statusCode", receipt.StatusCode, "lateness", lateness}, l.fields...)
	if location != "" {
		fields = append(fields, "location", location)
	}
	logger := activity.GetLogger(ctx)
	switch outcome {
	case outcomeDelivered:
		logger.Info(l.delivered, append(fields, "status", outcome)...)
	case outcomeRejected:
		logger.Error(l.rejected, append(fields, "status", outcome, "error", err)...)
	default:
		logger.Warn(l.retrying, append(fields, "status", outcome, "error", err)...)
	}
	return receipt, err
}

// target is where a POST goes: a sink URL and the name of the worker's credential for it, if any.
type target struct{ sink, credential string }

// send builds the event and posts it: the unlogged part of post. location is where the sink
// redirected the POST, password masked, whether the redirect was followed or not; "" if it did not.
// What it returns, which goes into Temporal history, names the sink without its user and password.
func (a *Activities) send(ctx context.Context, t contract.Tick, to target, extensions map[string]any, attempt int32) (
	_ contract.Receipt, location string, _ error) {
	sink := sinkref.WithoutUserinfo(to.sink)
	event, err := NewEvent(t, a.overrides)
	if err == nil {
		for name, value := range extensions {
			event.SetExtension(name, value)
		}
		err = event.Validate()
	}
	if err != nil {
		return contract.Receipt{}, "", contract.Reject(contract.Rejection{Sink: sink,
			Reason: fmt.Sprintf("build event: %v", err), Attempt: attempt})
	}
	if t.ContentMode == contract.Structured {
		ctx = binding.WithForceStructured(ctx)
	}
	// Built here and sent with http.Client.Do, not with the CloudEvents client's Send, whose
	// result keeps only the status code: classify needs the whole answer, that is the status code,
	// Retry-After (the next attempt's delay), a bounded start of the body (Send reads all of it
	// into its error) and the request that answered, which tells what the redirect policy of
	// sink.NewHTTPClient followed or refused. The request has GetBody (cehttp writes the body from
	// a bytes.Reader or bytes.Buffer), so that net/http can send the same body again on a 307 or 308.
	req, err := cehttp.NewHTTPRequestFromEvent(ctx, to.sink, event)
	if err != nil {
		return contract.Receipt{}, "", contract.Reject(contract.Rejection{Sink: sink,
			Reason: fmt.Sprintf("build request for sink %s: %v", sink, scrub(err)), Attempt: attempt})
	}
	if err := a.authorize(req, to, sink, attempt); err != nil {
		return contract.Receipt{Sink: sink}, "", err
	}
	stop := heartbeatUntilDone(ctx)
	resp, err := a.client.Do(req)
	stop()
	location = redirectLocation(resp, err)
	receipt, err := classify(resp, err, sink, attempt, time.Now())
	return receipt, location, err
}

// scrub is err's message with the URL of a *url.Error shown without its user and password: the
// message goes into Temporal history. (net/http only masks the password, and url.Parse not even
// that.)
func scrub(err error) string {
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		return err.Error()
	}
	c := *uerr
	c.URL = sinkref.WithoutUserinfo(c.URL)
	return strings.Replace(err.Error(), uerr.Error(), c.Error(), 1)
}

// Package activities holds all of the source's I/O: it builds a tick's CloudEvent, posts it to
// the sink, and classifies the answer as delivered, retryable (through the activity's Temporal
// retry policy, the only retry layer) or rejected for good.
package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
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

	sinkpkg "github.com/hello-cron/cronsource/internal/sink"
)

// Activities delivers ticks. Its methods are registered as Temporal activities.
type Activities struct {
	client      *http.Client
	defaultSink string
	overrides   map[string]string
	tracer      trace.Tracer
	policy      sinkpkg.Policy      // the sinks allowed; its Home is defaultSink
	credentials sinkpkg.Credentials // the sink credentials that sources name
}

// New returns the activities. defaultSink (the worker's --sink, K_SINK or SINK) is used for
// sources without a sink of their own and may be empty; overrides are the K_CE_OVERRIDES
// extensions.
func New(client *http.Client, defaultSink string, overrides map[string]string, opts ...Option) *Activities {
	a := &Activities{client: client, defaultSink: defaultSink, overrides: overrides,
		tracer: noop.NewTracerProvider().Tracer(tracerName)}
	for _, opt := range opts {
		opt(a)
	}
	a.policy.Home = defaultSink
	return a
}

// WithSinks sets the origins that sources may post to (the worker's own sink is always allowed;
// none allows any) and the folder of the sink credentials that sources may name.
func WithSinks(allowed sinkpkg.Origins, credentials sinkpkg.Credentials) Option {
	return func(a *Activities) { a.policy.Allowed, a.credentials = allowed, credentials }
}

// Receipt records a delivered tick.
type Receipt struct {
	Sink       string
	StatusCode int
	Attempt    int32 // the attempt that delivered it, from 1
}

// Deliver posts the tick's event to its sink once. It returns a Receipt for a 2xx answer, a
// non-retryable ErrRejected error carrying a Rejection for a permanent refusal, and a retryable
// error otherwise.
func (a *Activities) Deliver(ctx context.Context, t Tick) (Receipt, error) {
	sink := a.sinkOf(t)
	if sink == "" {
		// Retried, not dropped: the tick waits until a worker with a sink picks it up.
		return Receipt{}, temporal.NewApplicationError(
			"no sink: the source has no --sink and the worker has no --sink, K_SINK or SINK", ErrNoSink)
	}
	return a.post(ctx, t, sink, t.SinkCredential, nil, outcomeLog{
		delivered: "tick delivered",
		rejected:  "tick rejected by the sink",
		retrying:  "tick delivery failed, will retry",
	})
}

// sinkOf is where t goes: its own sink, or the worker's.
func (a *Activities) sinkOf(t Tick) string {
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
func (a *Activities) post(ctx context.Context, t Tick, sink, credential string, extensions map[string]any, l outcomeLog) (Receipt, error) {
	attempt := t.EarlierAttempts + activity.GetInfo(ctx).Attempt
	ctx, span := a.startSpan(ctx, t, sink, attempt, l.deadLetter)
	receipt, location, err := a.send(ctx, t, target{sink, credential}, withTraceContext(ctx, extensions), attempt)
	lateness := max(time.Since(t.Time), 0)
	outcome := outcomeRetrying
	switch {
	case err == nil:
		outcome = outcomeDelivered
	case IsRejected(err):
		outcome = outcomeRejected
	}
	endSpan(span, receipt, outcome, err)
	recordOutcome(ctx, l.deadLetter, outcome, t, lateness)
	// One structured line per attempt: which tick, how it went, how late after its time.
	fields := append([]any{"id", t.ID, "sequence", t.Sequence, "sink", sinkpkg.Redact(sink),
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
func (a *Activities) send(ctx context.Context, t Tick, to target, extensions map[string]any, attempt int32) (_ Receipt, location string, _ error) {
	sink := sinkpkg.WithoutUserinfo(to.sink)
	event, err := t.Event(a.overrides)
	if err == nil {
		for name, value := range extensions {
			event.SetExtension(name, value)
		}
		err = event.Validate()
	}
	if err != nil {
		return Receipt{}, "", reject(Rejection{Sink: sink, Reason: fmt.Sprintf("build event: %v", err), Attempt: attempt})
	}
	if t.ContentMode == Structured {
		ctx = binding.WithForceStructured(ctx)
	}
	// The request has GetBody (cehttp writes the body from a bytes.Reader or bytes.Buffer), so that
	// net/http can send the same body again on a 307 or 308.
	req, err := cehttp.NewHTTPRequestFromEvent(ctx, to.sink, event)
	if err != nil {
		return Receipt{}, "", reject(Rejection{Sink: sink,
			Reason: fmt.Sprintf("build request for sink %s: %v", sink, scrub(err)), Attempt: attempt})
	}
	if err := a.authorize(req, to, attempt); err != nil {
		return Receipt{Sink: sink}, "", err
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
	c.URL = sinkpkg.WithoutUserinfo(c.URL)
	return strings.Replace(err.Error(), uerr.Error(), c.Error(), 1)
}

// redirectLocation returns, password masked, the Location of the redirect that ended the attempt,
// or the URL that answered after the redirects that were followed; "" without a redirect.
func redirectLocation(resp *http.Response, err error) string {
	var redirect *sinkpkg.RedirectError
	switch {
	case errors.As(err, &redirect):
		return redirect.Location
	case resp == nil:
		return ""
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		if u, err := resp.Location(); err == nil {
			return sinkpkg.RedactURL(u)
		}
	case resp.Request != nil && resp.Request.Response != nil: // the answer to a redirect
		return sinkpkg.RedactURL(resp.Request.URL)
	}
	return ""
}

// HeartbeatInterval is how often a delivery heartbeats while it waits on a slow sink: a third of
// the activity's heartbeat timeout. The SDK forwards a heartbeat to the server at once only when
// its worker's MaxHeartbeatThrottleInterval is at most this; by default it forwards one per 80% of
// the heartbeat timeout, which leaves a fifth of the timeout for any delay.
func HeartbeatInterval(heartbeatTimeout time.Duration) time.Duration {
	return heartbeatTimeout / 3
}

// heartbeatUntilDone heartbeats while a slow sink answers, so that Temporal retries the tick
// within the heartbeat timeout when this worker dies, not after the whole attempt timeout. A
// fast delivery ends before the first heartbeat and costs nothing.
func heartbeatUntilDone(ctx context.Context) (stop func()) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	ticker := time.NewTicker(HeartbeatInterval(timeout))
	stopBeats := heartbeatOn(ticker.C, func() { activity.RecordHeartbeat(ctx) })
	return func() { stopBeats(); ticker.Stop() }
}

// heartbeatOn calls beat at every tick until stop is called; stop returns once beat no longer
// runs and never will again.
func heartbeatOn(ticks <-chan time.Time, beat func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-ticks:
				beat()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// classify turns the outcome of one POST to sink into a receipt or an error for Temporal's retry
// policy. It closes the response body after reading at most a little of it. Only a 2xx answer to
// the event's POST is a delivery; a redirect that the client did not follow is retried.
func classify(resp *http.Response, err error, sink string, attempt int32, now time.Time) (Receipt, error) {
	var redirect *sinkpkg.RedirectError
	if errors.As(err, &redirect) { // its message masks the Location's password, unlike err's
		return Receipt{Sink: sink, StatusCode: redirect.StatusCode, Attempt: attempt},
			temporal.NewApplicationError("post to sink: "+redirect.Error(), ErrRetryable)
	}
	if err != nil {
		return Receipt{}, temporal.NewApplicationError("post to sink: "+scrub(err), ErrUnavailable)
	}
	defer resp.Body.Close()
	body := readBody(resp.Body)
	r := Receipt{Sink: sink, StatusCode: resp.StatusCode, Attempt: attempt}
	code := resp.StatusCode
	switch {
	case resp.Request != nil && resp.Request.Method != http.MethodPost:
		// A client that follows a 301, 302 or 303 sends a GET without the event in the end.
		return r, temporal.NewApplicationError(fmt.Sprintf("sink answered %s to a %s of %s after a redirect, not to the event's POST",
			resp.Status, resp.Request.Method, sinkpkg.RedactURL(resp.Request.URL)), ErrRetryable)
	case code >= 200 && code < 300:
		return r, nil
	case retryableStatus(code):
		msg := fmt.Sprintf("sink answered %s%s", resp.Status, reason(body))
		return r, temporal.NewApplicationErrorWithOptions(msg, ErrRetryable, temporal.ApplicationErrorOptions{
			NextRetryDelay: retryAfter(resp.Header.Get("Retry-After"), now),
		})
	case code >= 400 && code < 500:
		return r, reject(Rejection{Sink: sink, StatusCode: code, Data: body, Attempt: attempt,
			Reason: fmt.Sprintf("sink rejected the event: %s%s", resp.Status, reason(body))})
	default:
		// 1xx and 3xx are not answers to a CloudEvent POST: keep the tick and try again.
		var to string
		if location := redirectLocation(resp, nil); location != "" {
			to = " to " + location
		}
		return r, temporal.NewApplicationError(fmt.Sprintf("sink answered %s%s%s", resp.Status, to, reason(body)), ErrRetryable)
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

// readBody returns the start of a response body, at most maxRejectionData bytes (nil if it is
// empty), and drains a bounded rest so that the connection can be reused.
func readBody(body io.Reader) []byte {
	buf, _ := io.ReadAll(io.LimitReader(body, maxRejectionData))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	if len(buf) == 0 {
		return nil
	}
	return buf
}

// maxReason bounds how much of a response body goes into an error message.
const maxReason = 512

// reason formats the start of a response body for an error message: ": " and at most maxReason
// bytes, made valid UTF-8 (a Temporal failure message must be), or nothing for an empty body.
func reason(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	return ": " + strings.ToValidUTF8(string(body[:min(len(body), maxReason)]), "\uFFFD")
}

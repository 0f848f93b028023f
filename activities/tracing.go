package activities

import (
	"context"
	"net/url"
	"strconv"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// Option changes how New builds the activities.
type Option func(*Activities)

// WithTracerProvider traces every POST to a sink with a span from tp and sets the CloudEvents
// distributed-tracing extensions traceparent and tracestate on the event from that span.
// Without it the activities use the no-op provider: no span, no extension.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(a *Activities) { a.tracer = tp.Tracer(tracerName) }
}

// tracerName is the instrumentation scope of the delivery spans.
const tracerName = "github.com/hello-cron/cronsource/activities"

// The names of the delivery spans, and the attributes of theirs that semconv has no name for.
const (
	spanDeliver    = "deliver"
	spanDeadLetter = "dead-letter"

	attrSequence   = attribute.Key("cronsource.sequence")
	attrWorkflowID = attribute.Key("cronsource.workflow_id")
	attrAttempt    = attribute.Key("cronsource.attempt")
	attrOutcome    = attribute.Key("cronsource.outcome")
)

// The CloudEvents distributed-tracing extensions.
const (
	TraceParentExtension = "traceparent"
	TraceStateExtension  = "tracestate"
)

// startSpan starts the span of one POST of t to sink. With the no-op provider it costs an
// allocation-free no-op span.
func (a *Activities) startSpan(ctx context.Context, t contract.Tick, sink string, attempt int32, deadLetter bool) (context.Context, trace.Span) {
	name := spanDeliver
	if deadLetter {
		name = spanDeadLetter
	}
	ctx, span := a.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindProducer))
	if !span.IsRecording() {
		return ctx, span
	}
	span.SetAttributes(
		semconv.CloudEventsEventID(t.ID),
		semconv.CloudEventsEventSource(t.Source),
		semconv.CloudEventsEventType(t.Type),
		semconv.CloudEventsEventSpecVersion(cloudevents.VersionV1),
		attrSequence.Int64(t.Sequence),
		attrWorkflowID.String(activity.GetInfo(ctx).WorkflowExecution.ID),
		attrAttempt.Int(int(attempt)),
		semconv.HTTPRequestMethodPost,
		semconv.URLFull(sinkref.Redact(sink)),
	)
	if u, err := url.Parse(sink); err == nil {
		span.SetAttributes(semconv.ServerAddress(u.Hostname()))
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			port = map[string]int{"http": 80, "https": 443}[u.Scheme]
		}
		if port != 0 {
			span.SetAttributes(semconv.ServerPort(port))
		}
	}
	return ctx, span
}

// endSpan records how the POST went and ends the span.
func endSpan(span trace.Span, r contract.Receipt, outcome string, err error) {
	if span.IsRecording() {
		span.SetAttributes(attrOutcome.String(outcome))
		if r.StatusCode != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCode(r.StatusCode))
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}

// withTraceContext returns extensions plus traceparent and tracestate for the span in ctx, or
// extensions itself when ctx has no valid span (tracing off). A tracestate from
// K_CE_OVERRIDES is removed when the span has none, so that the two always belong together.
func withTraceContext(ctx context.Context, extensions map[string]any) map[string]any {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return extensions
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	out := make(map[string]any, len(extensions)+2)
	for name, value := range extensions {
		out[name] = value
	}
	out[TraceParentExtension] = carrier.Get(TraceParentExtension)
	out[TraceStateExtension] = nil
	if state := carrier.Get(TraceStateExtension); state != "" {
		out[TraceStateExtension] = state
	}
	return out
}

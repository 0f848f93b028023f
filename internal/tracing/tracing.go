// Package tracing builds the worker's OpenTelemetry tracer provider from the standard OTEL_*
// environment variables. Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set or OTEL_TRACES_EXPORTER is otlp;
// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turns it off. Off, nothing is built and
// the provider is the no-op one. On, spans go in batches to an OTLP exporter over
// http/protobuf (the default) or grpc, as OTEL_EXPORTER_OTLP_PROTOCOL says.
package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The OTLP protocols of OTEL_EXPORTER_OTLP_PROTOCOL that the worker speaks.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Settings are what the environment asks for.
type Settings struct {
	Enabled  bool
	Protocol string // ProtocolHTTP or ProtocolGRPC, when Enabled
}

// Read decides from the environment whether to trace and how to export, and checks the values
// it depends on; its errors name the variable at fault. An empty variable counts as unset.
func Read(lookupEnv func(string) (string, bool)) (Settings, error) {
	get := func(name string) string {
		v, _ := lookupEnv(name)
		return strings.TrimSpace(v)
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") {
		return Settings{}, nil
	}
	var on bool
	switch exporter := get("OTEL_TRACES_EXPORTER"); exporter {
	case "none":
		return Settings{}, nil
	case "otlp":
		on = true
	case "":
		on = get("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	default:
		return Settings{}, fmt.Errorf("invalid OTEL_TRACES_EXPORTER %q: must be otlp or none", exporter)
	}
	if !on {
		return Settings{}, nil
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if v := get(name); v != "" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return Settings{}, fmt.Errorf("invalid %s %q: must be an http or https URL", name, v)
			}
		}
	}
	s := Settings{Enabled: true, Protocol: ProtocolHTTP}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := get(name); v != "" {
			if v != ProtocolHTTP && v != ProtocolGRPC {
				return Settings{}, fmt.Errorf("invalid %s %q: must be http/protobuf or grpc", name, v)
			}
			s.Protocol = v
			break
		}
	}
	if err := checkSampler(get("OTEL_TRACES_SAMPLER"), get("OTEL_TRACES_SAMPLER_ARG")); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// checkSampler accepts the samplers that the OpenTelemetry SDK reads from OTEL_TRACES_SAMPLER
// (it would otherwise fall back to its default with a warning).
func checkSampler(sampler, arg string) error {
	switch strings.ToLower(sampler) {
	case "", "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
		return nil
	case "traceidratio", "parentbased_traceidratio":
		if arg == "" {
			return nil
		}
		if r, err := strconv.ParseFloat(arg, 64); err != nil || r < 0 || r > 1 {
			return fmt.Errorf("invalid OTEL_TRACES_SAMPLER_ARG %q: must be a ratio from 0 to 1", arg)
		}
		return nil
	}
	return fmt.Errorf("invalid OTEL_TRACES_SAMPLER %q: must be always_on, always_off, traceidratio, "+
		"parentbased_always_on, parentbased_always_off or parentbased_traceidratio", sampler)
}

// Provider is the tracer provider to trace with, and what stops it.
type Provider struct {
	trace.TracerProvider
	shutdown func(context.Context) error
}

// Shutdown exports the spans still buffered and stops; ctx bounds how long that may take.
func (p Provider) Shutdown(ctx context.Context) error {
	if p.shutdown == nil {
		return nil
	}
	if err := p.shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shut down: %w", err)
	}
	return nil
}

// New builds the provider that s asks for: the no-op one when tracing is off. The exporter,
// the batching, the sampler and the resource read the rest of the standard variables from the
// process's environment (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_TRACES_SAMPLER*,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). serviceName is the service.name that
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES can replace.
func New(ctx context.Context, s Settings, serviceName string) (Provider, error) {
	if !s.Enabled {
		return Provider{TracerProvider: noop.NewTracerProvider()}, nil
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // last, so that it wins
	)
	if err != nil {
		return Provider{}, fmt.Errorf("invalid OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME: %w", err)
	}
	var exporter sdktrace.SpanExporter
	if s.Protocol == ProtocolGRPC {
		exporter, err = otlptracegrpc.New(ctx)
	} else {
		exporter, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return Provider{}, fmt.Errorf("tracing: build the OTLP %s exporter: %w", s.Protocol, err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	return Provider{TracerProvider: tp, shutdown: tp.Shutdown}, nil
}

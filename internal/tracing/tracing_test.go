package tracing

import (
	"context"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hello-cron/cronsource/internal/tracing/tracingtest"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Settings
		wantErr string // the variable the error names
	}{
		{name: "nothing set: off", env: nil, want: Settings{}},
		{name: "endpoint: on, http", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
			want: Settings{Enabled: true, Protocol: ProtocolHTTP}},
		{name: "traces endpoint: on", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/v1/traces"},
			want: Settings{Enabled: true, Protocol: ProtocolHTTP}},
		{name: "exporter otlp alone: on", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"},
			want: Settings{Enabled: true, Protocol: ProtocolHTTP}},
		{name: "grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			want: Settings{Enabled: true, Protocol: ProtocolGRPC}},
		{name: "traces protocol wins", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
			want: Settings{Enabled: true, Protocol: ProtocolHTTP}},
		{name: "empty counts as unset", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_TRACES_EXPORTER": ""},
			want: Settings{}},
		{name: "SDK disabled", env: map[string]string{"OTEL_SDK_DISABLED": "TRUE", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"},
			want: Settings{}},
		{name: "exporter none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"},
			want: Settings{}},
		{name: "sampler", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
			"OTEL_TRACES_SAMPLER_ARG": "0.25"}, want: Settings{Enabled: true, Protocol: ProtocolHTTP}},
		{name: "bad exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: "OTEL_TRACES_EXPORTER"},
		{name: "bad endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, wantErr: "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{name: "bad traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://c/"},
			wantErr: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{name: "json protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
			wantErr: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{name: "bad traces protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "udp"},
			wantErr: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{name: "bad sampler", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"},
			wantErr: "OTEL_TRACES_SAMPLER"},
		{name: "bad sampler ratio", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "traceidratio",
			"OTEL_TRACES_SAMPLER_ARG": "2"}, wantErr: "OTEL_TRACES_SAMPLER_ARG"},
		{name: "bad values ignored while off", env: map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, want: Settings{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(func(name string) (string, bool) { v, ok := tt.env[name]; return v, ok })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "invalid "+tt.wantErr+" ") {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Read = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestNewOffBuildsNothing(t *testing.T) {
	p, err := New(context.Background(), Settings{}, "cronsource-worker")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.TracerProvider.(noop.TracerProvider); !ok {
		t.Errorf("provider %T, want the no-op provider", p.TracerProvider)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestNewExportsOverEitherProtocol: a span reaches a collector over OTLP/HTTP and OTLP/gRPC,
// with the endpoint, the service name and the resource attributes from the environment.
func TestNewExportsOverEitherProtocol(t *testing.T) {
	for _, protocol := range []string{ProtocolHTTP, ProtocolGRPC} {
		t.Run(protocol, func(t *testing.T) {
			var c tracingtest.Collector
			var endpoint string
			if protocol == ProtocolHTTP {
				srv := c.HTTPServer()
				defer srv.Close()
				endpoint = srv.URL
			} else {
				url, stop, err := c.GRPCServer()
				if err != nil {
					t.Fatal(err)
				}
				defer stop()
				endpoint = url
			}
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
			t.Setenv("OTEL_SERVICE_NAME", "obs-test")
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
			s, err := Read(func(name string) (string, bool) {
				v := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}[name]
				return v, v != ""
			})
			if err != nil || s.Protocol != protocol {
				t.Fatalf("Read = %+v, %v", s, err)
			}
			p, err := New(context.Background(), s, "cronsource-worker")
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := p.TracerProvider.(*sdktrace.TracerProvider); !ok {
				t.Fatalf("provider %T, want the SDK's", p.TracerProvider)
			}
			_, span := p.Tracer("test").Start(context.Background(), "probe")
			span.End()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Shutdown(ctx); err != nil { // exports the batch
				t.Fatal(err)
			}
			spans := c.Spans()
			if len(spans) != 1 {
				t.Fatalf("collector got %d spans, want 1", len(spans))
			}
			got := spans[0]
			if got.Name != "probe" || got.TraceID != span.SpanContext().TraceID().String() {
				t.Errorf("span %q trace %s, want probe trace %s", got.Name, got.TraceID, span.SpanContext().TraceID())
			}
			if got.Resource["service.name"] != "obs-test" || got.Resource["deployment.environment"] != "test" {
				t.Errorf("resource %v, want service.name and deployment.environment from the environment", got.Resource)
			}
		})
	}
}

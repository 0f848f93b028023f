package activities

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/testsuite"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/metrics/metricstest"
	"github.com/hello-cron/cronsource/internal/sdkmetrics"
)

// The workflow id that the SDK's test activity environment gives every activity.
const testWorkflowID = "default-test-workflow-id"

// observed runs one of a's activities once in the test environment, with a logger that
// captures its lines and the worker's real metrics handler on reg.
func observed(t *testing.T, a *Activities, reg *prometheus.Registry, activityFn, arg any) (*capturingLogger, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	logger := &capturingLogger{}
	s.SetLogger(logger)
	if reg != nil {
		h, err := sdkmetrics.NewHandler(reg, func(err error) { t.Errorf("metrics: %v", err) })
		if err != nil {
			t.Fatal(err)
		}
		s.SetMetricsHandler(h)
	}
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity(activityFn, arg)
	return logger, err
}

func TestDeliveryMetrics(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		deadLetter bool
		want       map[string]float64 // per-source series; absent ones must not exist
	}{
		{name: "delivered", status: 200, want: map[string]float64{
			MetricTicksDelivered: 1, MetricDeliveryLateness: 1, MetricLastDeliveredSequence: 3}},
		{name: "retried", status: 503, want: map[string]float64{MetricTicksRetried: 1}},
		{name: "rejected", status: 400, want: map[string]float64{MetricTicksRejected: 1}},
		{name: "dead-lettered", status: 202, deadLetter: true, want: map[string]float64{MetricTicksDeadLettered: 1}},
		{name: "dead-letter sink unavailable", status: 503, deadLetter: true, want: map[string]float64{}},
	}
	all := []string{MetricTicksDelivered, MetricTicksRetried, MetricTicksRejected, MetricTicksDeadLettered,
		MetricDeliveryLateness, MetricLastDeliveredSequence}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newTestSink(t, tt.status, "")
			a := New(sink.Client(), sink.URL, nil)
			reg := prometheus.NewRegistry()
			if tt.deadLetter {
				_, _ = observed(t, a, reg, a.DeadLetter, contract.DeadLetterRequest{Tick: tick(), Sink: sink.URL,
					Rejection: contract.Rejection{Sink: "http://sink.test/", StatusCode: 400}})
			} else {
				_, _ = observed(t, a, reg, a.Deliver, tick())
			}
			families, err := metricstest.Gather(reg)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range all {
				got, found := families.Value(name, map[string]string{contract.MetricTagWorkflowID: testWorkflowID})
				want, wanted := tt.want[name]
				if found != wanted || got != want {
					t.Errorf("%s{workflow_id=%q} = %v (found %v), want %v (found %v); families: %s",
						name, testWorkflowID, got, found, want, wanted, families.Names())
				}
			}
		})
	}
}

func TestDeliveryTracing(t *testing.T) {
	tests := []struct {
		name       string
		tracing    bool
		status     int
		deadLetter bool
		overrides  map[string]string
		wantStatus string // the span's outcome attribute
	}{
		{name: "off", status: 200},
		{name: "delivered", tracing: true, status: 200, wantStatus: "delivered"},
		{name: "rejected", tracing: true, status: 400, wantStatus: "rejected"},
		{name: "retrying", tracing: true, status: 503, wantStatus: "retrying"},
		{name: "dead-lettered", tracing: true, status: 200, deadLetter: true, wantStatus: "delivered"},
		// A tracestate from K_CE_OVERRIDES does not go with the span's traceparent.
		{name: "over K_CE_OVERRIDES", tracing: true, status: 200, wantStatus: "delivered",
			overrides: map[string]string{TraceParentExtension: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
				TraceStateExtension: "vendor=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newTestSink(t, tt.status, "")
			recorder := tracetest.NewSpanRecorder()
			var opts []Option
			if tt.tracing {
				opts = append(opts, WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))))
			}
			a := New(sink.Client(), sink.URL, tt.overrides, opts...)
			if tt.deadLetter {
				_, _ = observed(t, a, nil, a.DeadLetter, contract.DeadLetterRequest{Tick: tick(), Sink: sink.URL,
					Rejection: contract.Rejection{Sink: "http://sink.test/", StatusCode: 400}})
			} else {
				_, _ = observed(t, a, nil, a.Deliver, tick())
			}
			event := sink.event(t)
			ext := event.Extensions()
			if !tt.tracing {
				for _, name := range []string{TraceParentExtension, TraceStateExtension} {
					if v, ok := ext[name]; ok {
						t.Errorf("tracing off, yet the event has %s %v", name, v)
					}
				}
				return
			}
			spans := recorder.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans ended, want 1", len(spans))
			}
			span := spans[0]
			wantName := "deliver"
			if tt.deadLetter {
				wantName = "dead-letter"
			}
			if span.Name() != wantName || span.SpanKind() != trace.SpanKindProducer {
				t.Errorf("span %q of kind %v, want %q, producer", span.Name(), span.SpanKind(), wantName)
			}
			sc := span.SpanContext()
			wantParent := fmt.Sprintf("00-%s-%s-01", sc.TraceID(), sc.SpanID())
			if got := ext[TraceParentExtension]; got != wantParent {
				t.Errorf("event traceparent %v, want the span's %s", got, wantParent)
			}
			if got, ok := ext[TraceStateExtension]; ok {
				t.Errorf("event tracestate %v, want none: the span has none", got)
			}
			attrs := map[attribute.Key]attribute.Value{}
			for _, kv := range span.Attributes() {
				attrs[kv.Key] = kv.Value
			}
			host, port := sinkHostPort(t, sink.URL)
			want := map[attribute.Key]any{
				"cloudevents.event_id":      "run-1-3",
				"cloudevents.event_source":  "urn:hello-com:cron-source",
				"cloudevents.event_type":    "com.hello.cron-event",
				"cronsource.sequence":       int64(3),
				"cronsource.workflow_id":    testWorkflowID,
				"cronsource.attempt":        int64(1),
				"cronsource.outcome":        tt.wantStatus,
				"server.address":            host,
				"server.port":               int64(port),
				"http.request.method":       "POST",
				"http.response.status_code": int64(tt.status),
			}
			for key, v := range want {
				if got, ok := attrs[key]; !ok || got.AsInterface() != v {
					t.Errorf("span attribute %s = %v, want %v", key, got.AsInterface(), v)
				}
			}
			if failed := span.Status().Code == codes.Error; failed != (tt.wantStatus != "delivered") {
				t.Errorf("span status %v for outcome %s", span.Status(), tt.wantStatus)
			}
		})
	}
}

func sinkHostPort(t *testing.T, rawURL string) (string, int) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("sink URL %s: %v", rawURL, err)
	}
	return u.Hostname(), port
}

// TestDeliveryLogLines: each attempt logs one line naming the tick, its workflow, the outcome,
// the attempt and the lateness, with the sink's password masked everywhere in it.
func TestDeliveryLogLines(t *testing.T) {
	const password = "s3cret-pa55"
	tests := []struct {
		name       string
		status     int // 0: the sink refuses connections
		deadLetter bool
		wantLevel  string
		wantMsg    string
		wantStatus string
		wantCode   int
	}{
		{name: "delivered", status: 200, wantLevel: "INFO", wantMsg: "tick delivered", wantStatus: "delivered", wantCode: 200},
		{name: "retried", status: 503, wantLevel: "WARN", wantMsg: "tick delivery failed, will retry", wantStatus: "retrying", wantCode: 503},
		{name: "retried, no answer", wantLevel: "WARN", wantMsg: "tick delivery failed, will retry", wantStatus: "retrying"},
		{name: "rejected", status: 400, wantLevel: "ERROR", wantMsg: "tick rejected by the sink", wantStatus: "rejected", wantCode: 400},
		{name: "dead-lettered", status: 200, deadLetter: true, wantLevel: "INFO", wantMsg: "tick dead-lettered", wantStatus: "delivered", wantCode: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			if tt.status == 0 {
				srv := httptest.NewServer(http.NotFoundHandler())
				base = srv.URL
				srv.Close()
			} else {
				base = newTestSink(t, tt.status, "").URL
			}
			sinkURL := strings.Replace(base, "http://", "http://cron:"+password+"@", 1)
			a := New(http.DefaultClient, "", nil)
			tk := tick()
			tk.Sink = sinkURL
			tk.Time = time.Now().Add(-2 * time.Second)
			var logger *capturingLogger
			if tt.deadLetter {
				logger, _ = observed(t, a, nil, a.DeadLetter, contract.DeadLetterRequest{Tick: tk, Sink: sinkURL,
					Rejection: contract.Rejection{Sink: sinkURL, StatusCode: 400}})
			} else {
				logger, _ = observed(t, a, nil, a.Deliver, tk)
			}
			lines := logger.find(tt.wantMsg)
			if len(lines) != 1 {
				t.Fatalf("%d lines %q, want 1; all: %v", len(lines), tt.wantMsg, logger.all())
			}
			line := lines[0]
			if line.level != tt.wantLevel {
				t.Errorf("level %s, want %s", line.level, tt.wantLevel)
			}
			want := map[string]any{
				"WorkflowID": testWorkflowID, "id": "run-1-3", "sequence": int64(3), "status": tt.wantStatus,
				"attempt": int32(1), "statusCode": tt.wantCode,
			}
			for key, v := range want {
				if got := line.fields[key]; got != v {
					t.Errorf("field %s = %v (%T), want %v (%T)", key, got, got, v, v)
				}
			}
			if lateness, ok := line.fields["lateness"].(time.Duration); !ok || lateness < 2*time.Second {
				t.Errorf("lateness %v, want at least the 2 s since the tick's time", line.fields["lateness"])
			}
			if sink, _ := line.fields["sink"].(string); !strings.Contains(sink, "cron:") || strings.Contains(sink, password) {
				t.Errorf("sink field %q: want the URL with its user and the password masked", sink)
			}
			if text := fmt.Sprint(line.fields); strings.Contains(text, password) {
				t.Errorf("the line shows the password: %s", text)
			}
		})
	}
}

// capturingLogger is an SDK logger that keeps every line.
type capturingLogger struct {
	mu    sync.Mutex
	lines []logLine
}

type logLine struct {
	level, msg string
	fields     map[string]any
}

func (l *capturingLogger) add(level, msg string, keyvals []any) {
	fields := map[string]any{}
	for i := 0; i+1 < len(keyvals); i += 2 {
		fields[fmt.Sprint(keyvals[i])] = keyvals[i+1]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, logLine{level: level, msg: msg, fields: fields})
}

func (l *capturingLogger) Debug(msg string, keyvals ...any) { l.add("DEBUG", msg, keyvals) }
func (l *capturingLogger) Info(msg string, keyvals ...any)  { l.add("INFO", msg, keyvals) }
func (l *capturingLogger) Warn(msg string, keyvals ...any)  { l.add("WARN", msg, keyvals) }
func (l *capturingLogger) Error(msg string, keyvals ...any) { l.add("ERROR", msg, keyvals) }

func (l *capturingLogger) find(msg string) []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logLine
	for _, line := range l.lines {
		if line.msg == msg {
			out = append(out, line)
		}
	}
	return out
}

func (l *capturingLogger) all() []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logLine(nil), l.lines...)
}

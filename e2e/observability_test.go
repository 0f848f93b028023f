package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/metrics/metricstest"
	"github.com/hello-cron/cronsource/internal/tracing/tracingtest"
)

// TestMetricsEndToEnd runs devserver, events-service, a worker and two sources at 1 s, one
// catching up all missed ticks and one skipping them, pauses both for a few ticks, and scrapes
// /metrics from the worker and from events-service.
func TestMetricsEndToEnd(t *testing.T) {
	t.Parallel()
	addr := startDevserver(t)
	esPort := freePort(t)
	startProc(t, "events-service", "--port", fmt.Sprint(esPort))
	events := fmt.Sprintf("http://127.0.0.1:%d", esPort)
	waitHTTP(t, events+"/readyz", http.StatusOK)
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startProc(t, "worker", "--address", addr, "--sink", events, "--metrics-addr", ops)
	waitHTTP(t, "http://"+ops+"/readyz", http.StatusOK)
	workerMetrics := "http://" + ops + "/metrics"

	sources := map[string]string{"obs-all": "all", "obs-skip": "skip"} // workflow id: catch-up policy
	for id, policy := range sources {
		mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s", "--catchup", policy)
	}
	label := func(id string) map[string]string { return map[string]string{"workflow_id": id} }
	for id := range sources {
		waitMetric(t, workerMetrics, "cronsource_ticks_delivered_total", label(id), 2)
	}
	// Missed ticks: the one source catches them up, the other skips them.
	for id := range sources {
		mustStarter(t, addr, "pause", "--workflow-id", id)
	}
	// The fault: three or four ticks come due while paused, to be caught up or skipped.
	time.Sleep(3500 * time.Millisecond)
	for id := range sources {
		mustStarter(t, addr, "resume", "--workflow-id", id)
	}
	waitMetric(t, workerMetrics, "cronsource_ticks_caught_up_total", label("obs-all"), 2)
	waitMetric(t, workerMetrics, "cronsource_ticks_skipped_total", label("obs-skip"), 2)

	first := scrape(t, workerMetrics)
	delivered, _ := first.Value("cronsource_ticks_delivered_total", label("obs-all"))
	sequence, _ := first.Value("cronsource_last_delivered_sequence", label("obs-all"))
	if sequence < delivered {
		t.Errorf("last delivered sequence %v, want at least the %v ticks delivered", sequence, delivered)
	}
	// Both grow as the source goes on.
	waitMetric(t, workerMetrics, "cronsource_ticks_delivered_total", label("obs-all"), delivered+2)
	waitMetric(t, workerMetrics, "cronsource_last_delivered_sequence", label("obs-all"), sequence+2)

	m := scrape(t, workerMetrics)
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"cronsource_delivery_lateness_seconds", map[string]string{"workflow_id": "obs-all", "activity_type": "Deliver"}},
		{"cronsource_delivery_lateness_seconds", label("obs-skip")},
		{"cronsource_last_delivered_sequence", label("obs-skip")},
		// The SDK's own metrics. A tick's first attempt is a local activity, run inside the
		// workflow task.
		{"temporal_local_activity_execution_latency_seconds", map[string]string{"activity_type": "Deliver", "namespace": "default"}},
		{"temporal_workflow_task_execution_latency_seconds", map[string]string{"workflow_type": "CronSource"}},
		{"temporal_request_total", map[string]string{"operation": "RespondWorkflowTaskCompleted"}},
	} {
		if v, found := m.Value(c.name, c.labels); !found || v <= 0 {
			t.Errorf("%s%v = %v (found %v), want a series above 0", c.name, c.labels, v, found)
		}
	}
	// Only the two sources label the per-source series.
	for _, f := range m {
		if !strings.HasPrefix(f.GetName(), "cronsource_") {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if _, known := sources[l.GetValue()]; l.GetName() == "workflow_id" && !known {
					t.Errorf("%s has workflow_id %q", f.GetName(), l.GetValue())
				}
			}
		}
	}
	delivered = 0
	for id := range sources {
		v, _ := m.Value("cronsource_ticks_delivered_total", label(id))
		delivered += v
	}
	es := scrape(t, events+"/metrics")
	if received, _ := es.Value("events_service_events_received_total", nil); received < delivered {
		t.Errorf("events-service received %v events, want at least the %v the worker delivered", received, delivered)
	}
	if _, found := es.Value("events_service_events_duplicate_total", nil); !found {
		t.Errorf("events-service has no duplicate counter: %s", es.Names())
	}
	logExcerpt(t, workerMetrics, "cronsource_", "temporal_local_activity_execution_latency_seconds_count")
	logExcerpt(t, events+"/metrics", "events_service_")
}

// TestTracingEndToEnd runs the worker with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an in-test
// OTLP/HTTP collector: each event reaches the sink with a traceparent whose trace the collector
// got from the worker.
func TestTracingEndToEnd(t *testing.T) {
	t.Parallel()
	var collector tracingtest.Collector
	otlp := collector.HTTPServer()
	defer otlp.Close()
	sink := newRecorder(t)

	addr := startDevserver(t)
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startProcEnv(t, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + otlp.URL, "OTEL_BSP_SCHEDULE_DELAY=100"},
		"worker", "--address", addr, "--sink", sink.URL, "--metrics-addr", ops)
	waitHTTP(t, "http://"+ops+"/readyz", http.StatusOK)
	mustStarter(t, addr, "start", "--workflow-id", "obs-trace", "--interval", "1s")

	sink.waitFor(t, 1, time.Minute)
	got := sink.all()[0]
	traceparent := fmt.Sprint(got.event.Extensions()["traceparent"])
	parent := strings.Split(traceparent, "-")
	if len(parent) != 4 || parent[0] != "00" {
		t.Fatalf("event %s has traceparent %q, want a W3C traceparent", got.id, traceparent)
	}
	traceID, spanID := parent[1], parent[2]
	var deliver tracingtest.Span
	eventually(t, "the delivery span at the collector", 30*time.Second, func() bool {
		for _, s := range collector.Spans() {
			if s.TraceID == traceID && s.SpanID == spanID {
				deliver = s
				return true
			}
		}
		return false
	})
	want := map[string]string{"cloudevents.event_id": got.id, "cronsource.sequence": strconv.Itoa(got.seq),
		"cronsource.workflow_id": "obs-trace", "cronsource.outcome": "delivered", "http.response.status_code": "200"}
	for k, v := range want {
		if deliver.Attributes[k] != v {
			t.Errorf("span %s attribute %s = %q, want %q", deliver.Name, k, deliver.Attributes[k], v)
		}
	}
	if deliver.Name != "deliver" || deliver.Resource["service.name"] != "cronsource-worker" {
		t.Errorf("span %q of service %q, want deliver of cronsource-worker", deliver.Name, deliver.Resource["service.name"])
	}
	// otelhttp also sends the traceparent header, from the HTTP client span under the delivery.
	header := strings.Split(got.header.Get("Traceparent"), "-")
	if len(header) != 4 || header[1] != traceID || header[2] == spanID {
		t.Errorf("traceparent header %q, want trace %s from a child span of %s", got.header.Get("Traceparent"), traceID, spanID)
	}
}

// scrape GETs url and parses the Prometheus text format.
func scrape(t *testing.T, url string) metricstest.Families {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	f, err := metricstest.Parse(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return f
}

// waitMetric polls url until the series name with labels reaches at least min.
func waitMetric(t *testing.T, url, name string, labels map[string]string, min float64) {
	t.Helper()
	var last float64
	defer func() { // runs on the Fatal too
		if last < min {
			t.Logf("%s%v = %v", name, labels, last)
		}
	}()
	eventually(t, fmt.Sprintf("%s%v reaches %v", name, labels, min), time.Minute, func() bool {
		last, _ = scrape(t, url).Value(name, labels)
		return last >= min
	})
}

// logExcerpt logs the lines of url's metrics that start with one of prefixes, as the README
// shows them.
func logExcerpt(t *testing.T, url string, prefixes ...string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return
	}
	var b strings.Builder
	for _, line := range strings.Split(string(body), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) || strings.HasPrefix(line, "# TYPE "+p) {
				b.WriteString(line + "\n")
				break
			}
		}
	}
	t.Logf("%s:\n%s", url, b.String())
}

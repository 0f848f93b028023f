package sdkmetrics

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestHandlerSeries records one of each kind of SDK metric and checks the Prometheus family it
// becomes: its name, type, labels and, for timers, the buckets in seconds.
func TestHandlerSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	h, err := NewHandler(reg, func(err error) { t.Errorf("metrics error: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	tagged := h.WithTags(map[string]string{"workflow_id": "hello-cron"})
	tagged.Counter("cronsource_ticks_delivered_total").Inc(2)
	tagged.Counter("temporal_request").Inc(1)
	tagged.Gauge("cronsource_last_delivered_sequence").Update(7)
	tagged.Timer("cronsource_delivery_lateness_seconds").Record(30 * time.Millisecond)
	tagged.Timer("temporal_activity_execution_latency").Record(2 * time.Second)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	tests := []struct {
		name  string // as Prometheus shows it
		typ   dto.MetricType
		value float64 // counter or gauge value, or histogram sample count
	}{
		{"cronsource_ticks_delivered_total", dto.MetricType_COUNTER, 2},
		{"temporal_request_total", dto.MetricType_COUNTER, 1},
		{"cronsource_last_delivered_sequence", dto.MetricType_GAUGE, 7},
		{"cronsource_delivery_lateness_seconds", dto.MetricType_HISTOGRAM, 1},
		{"temporal_activity_execution_latency_seconds", dto.MetricType_HISTOGRAM, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := byName[tt.name]
			if !ok {
				t.Fatalf("no family %s in %v", tt.name, slices.Sorted(maps.Keys(byName)))
			}
			if f.GetType() != tt.typ || len(f.Metric) != 1 {
				t.Fatalf("%s: type %v with %d series, want %v with 1", tt.name, f.GetType(), len(f.Metric), tt.typ)
			}
			m := f.Metric[0]
			if labels := m.GetLabel(); len(labels) != 1 || labels[0].GetName() != "workflow_id" || labels[0].GetValue() != "hello-cron" {
				t.Errorf("%s: labels %v, want workflow_id=hello-cron alone", tt.name, labels)
			}
			var got float64
			switch tt.typ {
			case dto.MetricType_COUNTER:
				got = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				got = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				got = float64(m.GetHistogram().GetSampleCount())
				var bounds []float64
				for _, b := range m.GetHistogram().GetBucket() {
					bounds = append(bounds, b.GetUpperBound())
				}
				if !slices.Equal(bounds, Buckets()) {
					t.Errorf("%s: buckets %v, want %v", tt.name, bounds, Buckets())
				}
			}
			if got != tt.value {
				t.Errorf("%s = %v, want %v", tt.name, got, tt.value)
			}
		})
	}
}

// TestHandlerKeepsAFleetsSeries: a worker serving more sources than OpenTelemetry's default limit
// of 2,000 series per metric keeps one series per source, none folded into an overflow series.
func TestHandlerKeepsAFleetsSeries(t *testing.T) {
	const sources = 2500
	reg := prometheus.NewRegistry()
	h, err := NewHandler(reg, func(err error) { t.Errorf("metrics error: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range sources {
		h.WithTags(map[string]string{"workflow_id": fmt.Sprintf("fleet-%d", i)}).Counter("cronsource_ticks_delivered_total").Inc(1)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "cronsource_ticks_delivered_total" {
			continue
		}
		ids := map[string]bool{}
		for _, m := range f.Metric {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "workflow_id":
					ids[l.GetValue()] = true
				case "otel_metric_overflow":
					t.Errorf("a series overflowed: %v", m.GetLabel())
				}
			}
		}
		if len(ids) != sources {
			t.Errorf("%d sources have a series, want %d", len(ids), sources)
		}
		return
	}
	t.Fatal("no cronsource_ticks_delivered_total family")
}

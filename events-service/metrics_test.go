package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/internal/metrics/metricstest"
)

// TestHandlerMetrics: GET /metrics counts the valid events received and the duplicates among
// them; a request that is not a valid CloudEvent counts in neither. No POST here is refused.
func TestHandlerMetrics(t *testing.T) {
	tests := []struct {
		name                   string
		ids                    []string // ids of the events posted, "" for an invalid request
		dedupeSize             int
		wantReceived, wantDups float64
	}{
		{name: "none", wantReceived: 0, wantDups: 0, dedupeSize: 16},
		{name: "distinct", ids: []string{"e1", "e2", "e3"}, dedupeSize: 16, wantReceived: 3},
		{name: "redeliveries", ids: []string{"e1", "e1", "e2", "e1"}, dedupeSize: 16, wantReceived: 4, wantDups: 2},
		{name: "invalid requests", ids: []string{"", "e1", ""}, dedupeSize: 16, wantReceived: 1},
		{name: "dedupe off", ids: []string{"e1", "e1"}, dedupeSize: 0, wantReceived: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(zap.NewNop(), newSeenEvents(tt.dedupeSize), testLimiter())
			for _, id := range tt.ids {
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": id, "ce-source": "/s", "ce-type": "t"} {
					if v != "" {
						req.Header.Set(k, v)
					}
				}
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
			}
			families, err := metricstest.Parse(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]float64{
				metricReceived: tt.wantReceived, metricDuplicates: tt.wantDups, metricRefused: 0,
			} {
				if got, found := families.Value(name, nil); !found || got != want {
					t.Errorf("%s = %v (found %v), want %v", name, got, found, want)
				}
			}
			if _, found := families.Value("process_cpu_seconds_total", nil); !found {
				t.Errorf("no process metrics: %s", families.Names())
			}
		})
	}
}

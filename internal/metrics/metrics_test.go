package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterServesTheRegistry(t *testing.T) {
	reg := NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_events_total", Help: "Events."})
	reg.MustRegister(c)
	c.Add(3)
	mux := http.NewServeMux()
	Register(mux, reg)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		method, path string
		wantStatus   int
		wantLines    []string // lines the body must hold
	}{
		{http.MethodGet, Path, http.StatusOK, []string{"test_events_total 3", "# TYPE go_goroutines gauge", "# TYPE process_cpu_seconds_total counter"}},
		{http.MethodPost, Path, http.StatusMethodNotAllowed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if len(tt.wantLines) > 0 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("Content-Type %q, want the text format", resp.Header.Get("Content-Type"))
			}
			lines := strings.Split(string(body), "\n")
			for _, want := range tt.wantLines {
				if !slices.Contains(lines, want) {
					t.Errorf("no line %q in:\n%s", want, body)
				}
			}
		})
	}
}

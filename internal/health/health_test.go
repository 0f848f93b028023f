package health

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEndpoints(t *testing.T) {
	tests := []struct {
		name       string
		ready      error
		path       string
		wantStatus int
		wantBody   string
	}{
		{"alive while not ready", errors.New("no server"), "/healthz", 200, "ok"},
		{"ready", nil, "/readyz", 200, "ready"},
		{"not ready says why", errors.New("Temporal\nunreachable"), "/readyz", 503, "not ready: Temporal unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			Register(mux, func(context.Context) error { return tt.ready })
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tt.wantStatus || strings.TrimSpace(string(body)) != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, rec.Code, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

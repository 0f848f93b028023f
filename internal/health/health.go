// Package health serves the liveness and readiness endpoints that Kubernetes probes and the
// compose healthchecks call: /healthz answers while the process runs, /readyz while it can do
// its work.
package health

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// checkTimeout bounds one readiness check.
const checkTimeout = 2 * time.Second

// Register adds GET /healthz and GET /readyz to mux. ready says why the process cannot work
// yet, or nil; it is called on every /readyz request.
func Register(mux *http.ServeMux, ready func(context.Context) error) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		write(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
		defer cancel()
		if err := ready(ctx); err != nil {
			write(w, http.StatusServiceUnavailable, "not ready: "+strings.Join(strings.Fields(err.Error()), " "))
			return
		}
		write(w, http.StatusOK, "ready")
	})
}

func write(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}

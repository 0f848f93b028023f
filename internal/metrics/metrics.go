// Package metrics serves a process's Prometheus metrics: a registry with the Go runtime and
// process collectors, and GET /metrics in the Prometheus text format. The worker and
// events-service both expose theirs this way, next to /healthz and /readyz.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where Register serves the metrics.
const Path = "/metrics"

// NewRegistry returns a registry holding the Go runtime (go_*) and process (process_*)
// collectors. Each process builds its own: nothing is registered globally.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Register adds GET /metrics to mux, serving what g gathers. A collector that fails is left
// out of the answer and the rest is still served.
func Register(mux *http.ServeMux, g prometheus.Gatherer) {
	mux.Handle("GET "+Path, promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
}

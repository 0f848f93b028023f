package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hello-cron/cronsource/internal/health"
)

// TestOpsServerCutsOffSlowAndIdleClients: the worker's /metrics and probes server has the same
// limits as events-service, so that an idle or slow client does not hold a connection for ever.
func TestOpsServerCutsOffSlowAndIdleClients(t *testing.T) {
	o, err := listenOps("127.0.0.1:0", prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	s := o.server
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"ReadHeaderTimeout", s.ReadHeaderTimeout, health.ReadHeaderTimeout},
		{"ReadTimeout", s.ReadTimeout, health.ReadTimeout},
		{"WriteTimeout", s.WriteTimeout, health.WriteTimeout},
		{"IdleTimeout", s.IdleTimeout, health.IdleTimeout},
		{"MaxHeaderBytes", s.MaxHeaderBytes, health.MaxHeaderBytes},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/internal/health"
	"github.com/hello-cron/cronsource/internal/metrics"
)

// ops is the worker's operations endpoint on --metrics-addr: /metrics in the Prometheus text
// format, /healthz while the process runs, /readyz once the worker polls and the Temporal
// server answers.
type ops struct {
	server  *http.Server
	addr    string                        // the address it listens on ("" for none): --metrics-addr with its port if that was 0
	polling atomic.Pointer[client.Client] // set once the worker polls
}

// listenOps starts serving on addr, with the metrics that g gathers; an empty addr serves
// nothing.
func listenOps(addr string, g prometheus.Gatherer) (*ops, error) {
	o := &ops{}
	if addr == "" {
		return o, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("invalid --metrics-addr %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	health.Register(mux, o.ready)
	metrics.Register(mux, g)
	o.server, o.addr = health.NewServer(mux, nil), ln.Addr().String()
	go func() { _ = o.server.Serve(ln) }()
	return o, nil
}

func (o *ops) ready(ctx context.Context) error {
	c := o.polling.Load()
	if c == nil {
		return errors.New("the worker is not polling Temporal yet")
	}
	if _, err := (*c).CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal server: %w", err)
	}
	return nil
}

// close stops serving, letting a probe in progress finish.
func (o *ops) close() {
	if o.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = o.server.Shutdown(ctx)
}

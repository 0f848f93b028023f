package main

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/tracing"
)

// tracingServiceName is the service.name of the worker's spans, unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES names another.
const tracingServiceName = "cronsource-worker"

// startTracing does nothing when s is off. On, it builds the tracer provider, routes the
// OpenTelemetry SDK's errors to logger, has client send a traceparent header from a span of
// its own, and returns the option that makes the activities trace each POST. stop exports the
// spans still buffered, waiting at most 5 s for the collector.
func startTracing(ctx context.Context, s tracing.Settings, client *http.Client, logger *zap.Logger) (
	opts []activities.Option, stop func(), err error) {
	if !s.Enabled {
		return nil, func() {}, nil
	}
	tp, err := tracing.New(ctx, s, tracingServiceName)
	if err != nil {
		return nil, nil, err
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("tracing", zap.Error(err)) }))
	client.Transport = otelhttp.NewTransport(client.Transport,
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{}))
	logger.Info("tracing on", zap.String("protocol", s.Protocol))
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(ctx); err != nil {
			logger.Warn("tracing: spans lost at exit", zap.Error(err))
		}
	}
	return []activities.Option{activities.WithTracerProvider(tp)}, stop, nil
}

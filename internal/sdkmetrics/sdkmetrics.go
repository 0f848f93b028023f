// Package sdkmetrics turns the metrics of the Temporal SDK, and those the source records through
// the SDK's handler, into Prometheus series. The SDK's OpenTelemetry contrib handler records on
// an OpenTelemetry meter whose reader is OpenTelemetry's Prometheus exporter, registered on the
// process's registry: nothing is pushed, and a scrape of /metrics reads the current values.
package sdkmetrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// meterName names the OpenTelemetry meter that every SDK and source metric is recorded on.
const meterName = "github.com/hello-cron/cronsource"

// MaxSeries is how many series one metric keeps: as many sources as a worker has served since
// it started, for the per-source ones. OpenTelemetry's default, 2,000, would fold the sources of
// a larger fleet into one series labelled otel_metric_overflow="true"; beyond MaxSeries they still
// are, which bounds the worker's memory (about 1 KiB per source and metric).
const MaxSeries = 100_000

// Buckets are the upper bounds, in seconds, of every histogram: the SDK's latencies (its timers)
// and the source's delivery lateness. They span 5 ms to 5 min.
func Buckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
}

// NewHandler returns the metrics handler to give the Temporal client, whose series reg serves.
// Counters are Prometheus counters (their names end in _total), timers are histograms in
// seconds with Buckets (their names end in _seconds), gauges are gauges. onError is told about
// an instrument that could not be made; the measurement is then dropped.
func NewHandler(reg prometheus.Registerer, onError func(error)) (client.MetricsHandler, error) {
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithoutTargetInfo(), // no target_info series: the process has no resource to describe
		otelprom.WithoutScopeInfo(),  // no otel_scope_* labels: there is a single meter
	)
	if err != nil {
		return nil, fmt.Errorf("metrics: build the Prometheus exporter: %w", err)
	}
	seconds := sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: Buckets()}},
	)
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds),
		sdkmetric.WithCardinalityLimit(MaxSeries))
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                provider.Meter(meterName),
		OnError:              onError,
		UseMonotonicCounters: true, // Prometheus counters, not gauges
	}), nil
}

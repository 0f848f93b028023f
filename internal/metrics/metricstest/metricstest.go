// Package metricstest reads Prometheus series back in tests: from a registry, or from the text
// format that /metrics serves.
package metricstest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Families are metric families by name.
type Families map[string]*dto.MetricFamily

// Gather collects g's families.
func Gather(g prometheus.Gatherer) (Families, error) {
	list, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	f := Families{}
	for _, family := range list {
		f[family.GetName()] = family
	}
	return f, nil
}

// Parse reads the Prometheus text format.
func Parse(r io.Reader) (Families, error) {
	var p expfmt.TextParser
	f, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse the text format: %w", err)
	}
	return f, nil
}

// Value is the sum over the series of family name whose labels include labels: their values
// for counters and gauges, their sample counts for histograms. found is false when no series
// matches.
func (f Families) Value(name string, labels map[string]string) (value float64, found bool) {
	family, ok := f[name]
	if !ok {
		return 0, false
	}
	for _, m := range family.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		found = true
		switch family.GetType() {
		case dto.MetricType_COUNTER:
			value += m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			value += m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			value += float64(m.GetHistogram().GetSampleCount())
		case dto.MetricType_UNTYPED:
			value += m.GetUntyped().GetValue()
		}
	}
	return value, found
}

// Names lists the families' names, sorted, for failure messages.
func (f Families) Names() string {
	return strings.Join(slices.Sorted(maps.Keys(f)), " ")
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

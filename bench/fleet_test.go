package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCronEvery(t *testing.T) {
	tests := []struct {
		every time.Duration
		want  string
	}{
		{time.Minute, "*/1 * * * *"},
		{5 * time.Minute, "*/5 * * * *"},
		{15 * time.Second, "*/15 * * * * *"},
		{7 * time.Minute, ""},
		{90 * time.Second, ""},
		{1500 * time.Millisecond, ""},
		{2 * time.Hour, ""},
	}
	for _, tt := range tests {
		if got := cronEvery(tt.every); got != tt.want {
			t.Errorf("cronEvery(%v) = %q, want %q", tt.every, got, tt.want)
		}
	}
}

func TestCheckFleet(t *testing.T) {
	ok := options{fleetSources: 10, fleetInterval: time.Minute, fleetIntervals: 3, fleetShapes: []string{shapeSpread, shapeAligned},
		fleetGroupSize: 500}
	tests := []struct {
		change func(*options)
		want   string
	}{
		{func(*options) {}, ""},
		{func(o *options) { o.fleetSources = 0 }, "invalid --fleet-sources 0"},
		{func(o *options) { o.fleetIntervals = 0 }, "invalid --fleet-intervals 0"},
		{func(o *options) { o.fleetInterval = time.Millisecond }, "invalid --fleet-interval 1ms"},
		{func(o *options) { o.fleetShapes = []string{"round"} }, `invalid --fleet-shapes "round"`},
		{func(o *options) { o.fleetSystems = []string{"ours", "pingsource"} }, `invalid --fleet-systems "pingsource": must be among ours, groups, stock, schedules, ticker`},
		{func(o *options) { o.fleetGroupSize = 501 }, "invalid --fleet-group-size 501: must be 1 to 500"},
		{func(o *options) { o.fleetSystems = fleetSystems() }, ""},
		{func(o *options) { o.fleetInterval = 7 * time.Minute }, "invalid --fleet-interval 7m0s for the aligned shape"},
		{func(o *options) { o.fleetInterval, o.fleetShapes = 7*time.Minute, []string{shapeSpread} }, ""},
	}
	for _, tt := range tests {
		o := ok
		tt.change(&o)
		err := o.checkFleet()
		if (tt.want == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("err %v, want %q", err, tt.want)
		}
	}
}

func TestCacheMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `# HELP temporal_sticky_cache_hit_total x
# TYPE temporal_sticky_cache_hit_total counter
temporal_sticky_cache_hit_total{namespace="default",task_queue="hello-cron"} 120
temporal_sticky_cache_hit_total{namespace="other",task_queue="a b"} 3
temporal_sticky_cache_miss_total{namespace="default"} 7
temporal_sticky_cache_size{namespace="default"} 99
`)
	}))
	defer srv.Close()
	got := cacheMetrics(srv.URL)
	if got["hits"] != 123 || got["misses"] != 7 || len(got) != 2 {
		t.Errorf("cache metrics %v, want 123 hits and 7 misses", got)
	}
	if got := cacheMetrics("http://127.0.0.1:1/metrics"); got != nil {
		t.Errorf("from nowhere: %v, want nil", got)
	}
}

// TestSpreadSpec: the Schedules of a spread fleet fire every interval, each from the second of
// its own first tick, so that their offsets spread over the interval as the other systems' do.
func TestSpreadSpec(t *testing.T) {
	first := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		i, n       int
		every      time.Duration
		wantStart  time.Time
		wantOffset time.Duration
	}{
		{0, 4, time.Minute, first, 0},
		{1, 4, time.Minute, first.Add(15 * time.Second), 15 * time.Second},
		{3, 4, time.Minute, first.Add(45 * time.Second), 45 * time.Second},
		{1, 7, time.Minute, first.Add(8 * time.Second), 8 * time.Second},          // 8.57 s, to the second
		{9999, 10000, time.Minute, first.Add(59 * time.Second), 59 * time.Second}, // 59.994 s
		{2, 3, 5 * time.Minute, first.Add(200 * time.Second), 200 * time.Second},
	}
	for _, tt := range tests {
		spec := spreadSpec(first, tt.every, tt.i, tt.n)
		if len(spec.Intervals) != 1 || spec.Intervals[0].Every != tt.every || spec.Intervals[0].Offset != tt.wantOffset || !spec.StartAt.Equal(tt.wantStart) {
			t.Errorf("source %d of %d every %v: %+v from %s, want every %v offset %v from %s", tt.i, tt.n, tt.every,
				spec.Intervals, spec.StartAt.Format(time.TimeOnly), tt.every, tt.wantOffset, tt.wantStart.Format(time.TimeOnly))
		}
	}
}

func TestCheckRetention(t *testing.T) {
	ok := options{only: []string{"retention"}, retentionSources: 20, retentionFor: 110 * time.Minute}
	tests := []struct {
		change func(*options)
		want   string
	}{
		{func(*options) {}, ""},
		{func(o *options) { o.retentionSources = 0 }, "invalid --retention-sources 0"},
		{func(o *options) { o.retentionFor = 100 * time.Minute }, "invalid --retention-for 1h40m0s: must be at least 1h45m0s"},
		{func(o *options) { o.retentionFor, o.only = time.Hour, []string{"fleet"} }, ""}, // not asked for
	}
	for _, tt := range tests {
		o := ok
		tt.change(&o)
		err := o.checkRetention()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tt.want)) {
			t.Errorf("err %v, want %q", err, tt.want)
		}
	}
}

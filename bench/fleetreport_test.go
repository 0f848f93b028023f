package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrintFleet(t *testing.T) {
	ours := fleetResult{System: "ours", Shape: "spread", Sources: 10000, Interval: "1m0s", StartSeconds: 44.4, StartsPerSec: 225,
		Intervals: 1, Grace: "30s", Window: window{Offered: 10000, Delivered: 10000, Ratio: 1, P50: 24, P99: 355, Max: 719},
		CPUPerTickMs: 9.5, CPUPerTickMsBy: map[string]float64{"devserver": 7.3, "worker": 2.2},
		RSSMiB: map[string]float64{"devserver": 709, "worker": 708}, DBMiB: 271, DBMiBPerMillionTicks: 1078,
		Cache:   map[string]float64{"hits": 10000},
		Crashes: []fleetCrash{{Killed: "worker", FirstBackMs: 1000, AllBackMs: 60000, LatenessP99Ms: 1500, LatenessMaxMs: 2200}}}
	schedules := fleetResult{System: "schedules", Shape: "spread", Sources: 10000, Interval: "1m0s", StartSeconds: 48, StartsPerSec: 207,
		Intervals: 1, Grace: "30s", Window: window{Offered: 10000}}
	var b bytes.Buffer
	printFleet(&b, []fleetResult{ours, schedules})
	lines := strings.Split(strings.Trim(b.String(), "\n"), "\n")
	tests := []struct {
		line int
		want []string
	}{
		{0, []string{"fleet", "shape", "started s", "delivered", "p99 ms", "CPU ms/tick", "RSS MiB", "MiB/M ticks"}},
		{1, []string{"ours", "spread", "10000", "44.4", "225", "100.00%", "355", "719", "9.50", "devserver 7.30, worker 2.20", "devserver 709, worker 708", "1078"}},
		{2, []string{"schedules", "spread", "10000", "207", "0.00%"}},
		{3, []string{"fleet ours spread, 10000 sources: worker's workflow cache over the window: hits 10000"}},
		{4, []string{"fleet ours spread, 10000 sources: after kill -9 of the worker: first source back 1.0 s, all 60.0 s", "p99 1.5 s, max 2.2 s; 0 ticks lost"}},
	}
	if len(lines) != len(tests) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tests), b.String())
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(lines[tt.line], w) {
				t.Errorf("line %d %q lacks %q", tt.line, lines[tt.line], w)
			}
		}
	}
	if strings.Index(lines[1], "100.00%")+len("100.00%") != strings.Index(lines[0], "delivered")+len("delivered") {
		t.Errorf("the columns are not aligned:\n%s", b.String())
	}
}

package main

import (
	"slices"
	"testing"
)

func TestCapacitySummary(t *testing.T) {
	run := func(system string, sources int, ratio, perSec float64) loadResult {
		return loadResult{Scenario: "capacity", System: system, Sources: sources, DeliveredPerSec: perSec, Window: window{Ratio: ratio}}
	}
	tests := []struct {
		name string
		load []loadResult
		want []string
	}{
		{name: "no capacity runs", load: []loadResult{{Scenario: "precision", System: "ours", Sources: 1}}},
		{name: "ours alone", load: []loadResult{run("ours", 100, 1, 100), run("ours", 200, 0.995, 199)},
			want: []string{"", "capacity ours: sustained 200 sources (>= 99% delivered), at most 199.0 ticks/s delivered"}},
		{name: "against baselines", load: []loadResult{
			run("ours", 100, 1, 100), run("stock", 100, 1, 100), run("schedules", 100, 0.3, 30),
			run("ours", 400, 0.95, 380), run("stock", 400, 0.5, 190), run("schedules", 400, 0.01, 4),
			{Scenario: "precision", System: "stock", Sources: 1, DeliveredPerSec: 4, Window: window{Ratio: 1}},
		}, want: []string{"",
			"capacity ours: sustained 100 sources (>= 99% delivered), at most 380.0 ticks/s delivered",
			"capacity stock: sustained 100 sources (>= 99% delivered), at most 190.0 ticks/s delivered",
			"capacity schedules: sustained no size run (>= 99% delivered), at most 30.0 ticks/s delivered",
			"ours against stock: 1.0x the sources sustained, 2.0x the most ticks/s",
			"ours against schedules: - the sources sustained, 12.7x the most ticks/s",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := capacitySummary(tt.load); !slices.Equal(got, tt.want) {
				t.Errorf("capacitySummary =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

package main

// The table that the bench prints, and the summary of its capacity rows.

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hello-cron/cronsource/workflows"
)

func printReport(w io.Writer, rep report) {
	if len(rep.Load) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "scenario\tsystem\tsources\tinterval\toffered/s\tdelivered/s\tdelivered\tp50 ms\tp99 ms\tmax ms\tCPU ms/tick\tby process\tbench\tRSS MiB\tload\t")
		for _, r := range rep.Load {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f\t%.1f\t%.1f%%\t%.0f\t%.0f\t%.0f\t%.2f\t%s\t%.2f\t%s\t%.2f\t\n", r.Scenario, r.System, r.Sources, r.Interval,
				r.OfferedPerSec, r.DeliveredPerSec, 100*r.Window.Ratio, r.Window.P50, r.Window.P99, r.Window.Max, r.CPUPerTickMs,
				cpuText(r.CPUPerTickMsBy), r.BenchCPUPerTickMs, rssText(r.RSSMiB), r.LoadAverage)
		}
		_ = tw.Flush()
	}
	for _, line := range capacitySummary(rep.Load) {
		fmt.Fprintln(w, line)
	}
	if rep.History != nil || len(rep.ClusterHistory) > 0 {
		fmt.Fprintln(w)
	}
	for _, h := range append([]*historyResult{rep.History}, rep.ClusterHistory...) {
		if h == nil {
			continue
		}
		on := ""
		if h.System != "" {
			on = " on " + h.System
		}
		fmt.Fprintf(w, "history%s: %.1f events per tick (%.1f steady), %d events at continue-as-new after %d ticks (~%d extrapolated to the default %d)\n",
			on, h.EventsPerTick, h.SteadyPerTick, h.EventsAtCAN, h.TicksPerRun, h.DefaultCANSize, workflows.DefaultContinueAsNewAfter)
	}
	for _, r := range rep.Recovery {
		fmt.Fprintf(w, "recovery after %s: first event %.0f ms, all %d sources %.0f ms after the new worker started (%d not back)\n",
			r.Signal, r.FirstMs, r.Sources, r.AllMs, r.MissingLeft)
	}
	for _, f := range rep.Footprint {
		fmt.Fprintf(w, "footprint %s: %s\n", f.State, rssText(f.RSSMiB))
	}
	for _, r := range rep.Replay {
		run := fmt.Sprintf("a run of %d ticks", r.TicksPerRun)
		if r.Members > 0 {
			run = fmt.Sprintf("a group's run of %d batches of %d members", r.TicksPerRun, r.Members)
		}
		fmt.Fprintf(w, "replay of %s (%d events), as a worker without it cached does: %.1f ms (%.1f µs per event)\n",
			run, r.Events, r.ReplayMs, r.UsPerEvent)
	}
	if r := rep.Retention; r != nil && len(r.SamplesMiB) > 0 {
		fmt.Fprintf(w, "retention %s, %d sources at 1s, runs of %d ticks: file %.1f MiB at the first tick, %.1f MiB after %d minutes; "+
			"growth %.1f MiB/h in the first quarter hour, %.1f MiB/h in the last; %d pages, %d free; %d runs held\n", r.Retention, r.Sources,
			r.ContinueAsNewAfter, r.SamplesMiB[0], r.SamplesMiB[len(r.SamplesMiB)-1], len(r.SamplesMiB)-1, r.FirstMiBPerHour, r.LastMiBPerHour,
			r.Pages, r.FreePages, r.Executions)
	}
	printFleet(w, rep.Fleet)
}

// sustainRatio is the share of offered ticks a system must deliver for it to sustain a load.
const sustainRatio = 0.99

// capacitySummary sums up the capacity runs by system: the most sources each sustained (delivered
// at least 99% of the offered ticks) and the most ticks per second it delivered in any run, then
// ours against each other system on both.
func capacitySummary(load []loadResult) []string {
	type best struct {
		sustained int
		peak      float64
	}
	var order []string
	bests := map[string]*best{}
	for _, r := range load {
		if r.Scenario != "capacity" {
			continue
		}
		b, ok := bests[r.System]
		if !ok {
			b = &best{}
			bests[r.System] = b
			order = append(order, r.System)
		}
		if r.Window.Ratio >= sustainRatio {
			b.sustained = max(b.sustained, r.Sources)
		}
		b.peak = max(b.peak, r.DeliveredPerSec)
	}
	if len(order) == 0 {
		return nil
	}
	lines := []string{""}
	for _, name := range order {
		b := bests[name]
		sustained := "no size run"
		if b.sustained > 0 {
			sustained = fmt.Sprintf("%d sources", b.sustained)
		}
		lines = append(lines, fmt.Sprintf("capacity %s: sustained %s (>= %.0f%% delivered), at most %.1f ticks/s delivered",
			name, sustained, 100*sustainRatio, b.peak))
	}
	if ours, ok := bests["ours"]; ok {
		for _, name := range order {
			if b := bests[name]; name != "ours" && b.peak > 0 {
				sustained := "-"
				if b.sustained > 0 {
					sustained = fmt.Sprintf("%.1fx", float64(ours.sustained)/float64(b.sustained))
				}
				lines = append(lines, fmt.Sprintf("ours against %s: %s the sources sustained, %.1fx the most ticks/s", name, sustained, ours.peak/b.peak))
			}
		}
	}
	return lines
}

// cpuText is the CPU ms per tick of each process, in name order.
func cpuText(m map[string]float64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func rssText(m map[string]float64) string {
	if len(m) == 0 {
		return "-"
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

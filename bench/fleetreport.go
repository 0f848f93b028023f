package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printFleet prints the fleet runs side by side, one row per system and shape, then what only
// some of them measure: the worker's cache and the kill -9 recoveries.
func printFleet(w io.Writer, fleet []fleetResult) {
	if len(fleet) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fleet\tshape\tsources\tinterval\tstarted s\tstarts/s\tticks\tdelivered\tgrace\tp50 ms\tp99 ms\tmax ms\t"+
		"CPU ms/tick\tby process\tRSS MiB\tKiB/source\tdb MiB\tMiB/M ticks\tload\t")
	for _, f := range fleet {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f\t%.0f\t%d\t%.2f%%\t%s\t%.0f\t%.0f\t%.0f\t%.2f\t%s\t%s\t%s\t%.1f\t%.0f\t%.2f\t\n",
			f.System, f.Shape, f.Sources, f.Interval, f.StartSeconds, f.StartsPerSec, f.Window.Offered, 100*f.Window.Ratio, f.Grace,
			f.Window.P50, f.Window.P99, f.Window.Max, f.CPUPerTickMs, cpuText(f.CPUPerTickMsBy), rssText(f.RSSMiB),
			rssText(f.RSSKiBPerSource), f.DBMiB, f.DBMiBPerMillionTicks, f.LoadAverage)
	}
	_ = tw.Flush()
	for _, f := range fleet {
		name := fmt.Sprintf("fleet %s %s, %d sources", f.System, f.Shape, f.Sources)
		if len(f.Cache) > 0 {
			fmt.Fprintf(w, "%s: worker's workflow cache over the window: %s\n", name, rssText(f.Cache))
		}
		for _, c := range f.Crashes {
			fmt.Fprintf(w, "%s: after kill -9 of the %s: first source back %.1f s, all %.1f s after the kill (%d not back within 2 intervals); "+
				"their first ticks late p99 %.1f s, max %.1f s; %d ticks lost\n", name, c.Killed, c.FirstBackMs/1000, c.AllBackMs/1000,
				c.NotBack, c.LatenessP99Ms/1000, c.LatenessMaxMs/1000, c.Lost)
		}
	}
}

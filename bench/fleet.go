package main

// The fleet scenario (issue 19): many sources at a long interval, mostly idle, on our stack:
// how fast the fleet starts, what share of its ticks arrive and how late, and what it costs in
// CPU, memory and database file.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/workflows"
)

// The two shapes of a fleet: spread sources start at different times, so their ticks fall
// evenly over the interval; aligned ones share a cron expression, so they all fire at second 0.
const (
	shapeSpread  = "spread"
	shapeAligned = "aligned"
)

// fleetStarts is how many sources the fleet scenario starts at once, as `starter apply -f` does.
const fleetStarts = 16

// fleetResult is one fleet run.
type fleetResult struct {
	// System is ours, or a baseline: stock (ours on Temporal's stock dev-server settings),
	// schedules (a Temporal Schedule per source) or ticker (a goroutine per source, no durability).
	System       string  `json:"system"`
	Shape        string  `json:"shape"`
	Sources      int     `json:"sources"`
	Interval     string  `json:"interval"`
	StartSeconds float64 `json:"startSeconds"`
	StartsPerSec float64 `json:"startsPerSec"`
	// Window is the ticks scheduled in the measured window, Intervals intervals long, and how
	// late they came (a tick later than Grace after the window's end counts as not delivered).
	Intervals      int                `json:"intervals"`
	Grace          string             `json:"grace"`
	Window         window             `json:"window"`
	CPUPerTickMs   float64            `json:"cpuPerTickMs"`
	CPUPerTickMsBy map[string]float64 `json:"cpuPerTickMsBy,omitempty"`
	RSSMiB         map[string]float64 `json:"rssMiB"`
	// RSSKiBPerSource is each process's RSS above its idle footprint, per source.
	RSSKiBPerSource map[string]float64 `json:"rssKiBPerSource"`
	// DBMiB is the database file (and its WAL) at the end; DBMiBPerMillionTicks its growth over
	// the measured window, per million ticks delivered.
	DBMiB                float64 `json:"dbMiB"`
	DBMiBPerMillionTicks float64 `json:"dbMiBPerMillionTicks"`
	LoadAverage          float64 `json:"loadAverage1m"`
	// Cache is the worker's sticky workflow cache over the window, from the SDK's metrics: hits,
	// misses (a replay of the history) and forced evictions.
	Cache map[string]float64 `json:"cache,omitempty"`
	// Crashes are the kill -9 of the worker, then of the devserver, after the window.
	Crashes []fleetCrash `json:"crashes,omitempty"`
}

func (o *options) addFleetFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.fleetSources, "fleet-sources", 10000, "sources of the fleet scenario")
	fs.DurationVar(&o.fleetInterval, "fleet-interval", time.Minute, "interval of the fleet scenario's sources")
	fs.IntVar(&o.fleetIntervals, "fleet-intervals", 3, "intervals the fleet scenario measures, after one of warm-up")
	fs.StringSliceVar(&o.fleetShapes, "fleet-shapes", []string{shapeSpread, shapeAligned}, "shapes of the fleet scenario: spread, aligned")
	fs.BoolVar(&o.fleetCrash, "fleet-crash", true, "after the window, kill -9 our worker and then our devserver, and watch two intervals after each")
	fs.StringSliceVar(&o.fleetSystems, "fleet-systems", fleetSystems(), "systems of the fleet scenario, among "+strings.Join(fleetSystems(), ", ")+
		" (ours and groups alone are killed and report their cache)")
	fs.IntVar(&o.fleetGroupSize, "fleet-group-size", workflows.MaxGroupMembers, "sources per group workflow of the groups system")
}

// fleetSystems are the systems the fleet scenario runs: ours, ours with its sources in groups
// (workflows.CronGroup), and the baselines.
func fleetSystems() []string { return []string{"ours", "groups", "stock", "schedules", "ticker"} }

// runFleets runs the fleet scenario in each shape asked for, recording a failure and going on.
func (o *options) runFleets(ctx context.Context, rec *recorder, rep *report) {
	for _, shape := range o.fleetShapes {
		for _, name := range o.fleetSystems {
			progress("fleet: %s, %d %s sources every %s", name, o.fleetSources, shape, o.fleetInterval)
			r, err := o.fleet(ctx, rec, name, shape)
			if err != nil {
				rep.Errors = append(rep.Errors, "fleet "+name+" "+shape+": "+err.Error())
				continue
			}
			rep.Fleet = append(rep.Fleet, r)
		}
	}
}

// checkFleet refuses fleet flags the scenario cannot run.
func (o *options) checkFleet() error {
	switch {
	case o.fleetSources < 1:
		return fmt.Errorf("invalid --fleet-sources %d: must be at least 1", o.fleetSources)
	case o.fleetIntervals < 1:
		return fmt.Errorf("invalid --fleet-intervals %d: must be at least 1", o.fleetIntervals)
	case o.fleetInterval < time.Second:
		return fmt.Errorf("invalid --fleet-interval %s: must be at least 1s", o.fleetInterval)
	case o.fleetGroupSize < 1 || o.fleetGroupSize > workflows.MaxGroupMembers:
		return fmt.Errorf("invalid --fleet-group-size %d: must be 1 to %d", o.fleetGroupSize, workflows.MaxGroupMembers)
	}
	for _, name := range o.fleetSystems {
		if !slices.Contains(fleetSystems(), name) {
			return fmt.Errorf("invalid --fleet-systems %q: must be among %s", name, strings.Join(fleetSystems(), ", "))
		}
	}
	for _, shape := range o.fleetShapes {
		switch {
		case shape != shapeSpread && shape != shapeAligned:
			return fmt.Errorf("invalid --fleet-shapes %q: must be spread or aligned", shape)
		case shape == shapeAligned && cronEvery(o.fleetInterval) == "":
			return fmt.Errorf("invalid --fleet-interval %s for the aligned shape: must be whole seconds dividing a minute, or whole minutes dividing an hour", o.fleetInterval)
		}
	}
	return nil
}

// fleet runs o.fleetSources sources at o.fleetInterval in shape on a fresh system name.
func (o *options) fleet(ctx context.Context, rec *recorder, name, shape string) (fleetResult, error) {
	n, every := o.fleetSources, o.fleetInterval
	r := fleetResult{System: name, Shape: shape, Sources: n, Interval: every.String(), Intervals: o.fleetIntervals, LoadAverage: loadAverage()}
	rec.reset()
	sys, s, err := o.startFleetSystem(ctx, name, rec.url)
	if err != nil {
		return r, err
	}
	defer sys.close()
	idle := sys.rss()
	// The first ticks are due once every source can have started, at 150 starts a second.
	first := time.Now().Add(10*time.Second + time.Duration(n)*time.Second/150).Truncate(every).Add(every)
	began := time.Now()
	if err := sys.startFleet(ctx, n, every, first, shape); err != nil {
		return r, err
	}
	took := time.Since(began)
	r.StartSeconds, r.StartsPerSec = took.Seconds(), float64(n)/took.Seconds()
	progress("fleet: %d %s sources started in %s; first ticks at %s", n, shape, took.Round(time.Millisecond), first.Format(time.TimeOnly))
	from := first.Add(every) // one interval of warm-up
	to := from.Add(time.Duration(o.fleetIntervals) * every)
	if err := sleepUntil(ctx, from); err != nil {
		return r, err
	}
	db, metricsURL := "", ""
	if s != nil {
		db, metricsURL = filepath.Join(s.dir, "temporal.db"), s.metricsURL
	}
	cpu0, db0, cache0 := sys.cpu(), fileMiB(db), cacheMetrics(metricsURL)
	if err := sleepUntil(ctx, to); err != nil {
		return r, err
	}
	cpu, db1 := cpuDelta(cpu0, sys.cpu()), fileMiB(db)
	if cache1 := cacheMetrics(metricsURL); cache0 != nil && cache1 != nil {
		for name, v := range cache0 {
			cache1[name] -= v
		}
		r.Cache = cache1
	} else if metricsURL != "" {
		progress("fleet: the worker's /metrics did not answer at the window's start or end: no cache counters")
	}
	r.RSSMiB = sys.rss()
	r.RSSKiBPerSource = map[string]float64{}
	for name, mib := range r.RSSMiB {
		r.RSSKiBPerSource[name] = (mib - idle[name]) * 1024 / float64(n)
	}
	grace := min(every/2, time.Minute)
	r.Grace = grace.String()
	if err := sleepUntil(ctx, to.Add(grace)); err != nil {
		return r, err
	}
	r.Window = summarize(rec.snapshot(), from, to, grace, n*o.fleetIntervals)
	r.CPUPerTickMs, r.CPUPerTickMsBy = perTick(cpu, r.Window.Delivered)
	r.DBMiB = fileMiB(db) // 0 for the ticker, which has no file
	if r.Window.Delivered > 0 {
		r.DBMiBPerMillionTicks = (db1 - db0) * 1e6 / float64(r.Window.Delivered)
	}
	if (name != "ours" && name != "groups") || !o.fleetCrash {
		return r, nil // the crashes test our recovery; the baselines' is measured by the recovery scenario
	}
	for _, which := range []string{"worker", "devserver"} {
		progress("fleet: kill -9 the %s", which)
		c, err := crash(ctx, s, rec, n, every, which)
		if err != nil {
			return r, err
		}
		r.Crashes = append(r.Crashes, c)
	}
	return r, nil
}

// cronEvery is the cron expression that fires every d, a whole number of minutes that divides
// an hour, or of seconds that divides a minute: what users write for such a fleet.
func cronEvery(d time.Duration) string {
	switch {
	case d%time.Minute == 0 && time.Hour%d == 0:
		return fmt.Sprintf("*/%d * * * *", int(d/time.Minute))
	case d < time.Minute && d%time.Second == 0 && time.Minute%d == 0:
		return fmt.Sprintf("*/%d * * * * *", int(d/time.Second))
	}
	return "" // no cron expression fires every d
}

// cacheMetrics reads the worker's sticky cache counters at url, by short name (the SDK reports a
// counter once it is first incremented); nil if there is no url or the worker does not answer.
func cacheMetrics(url string) map[string]float64 {
	if url == "" {
		return nil
	}
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := map[string]float64{}
	names := map[string]string{"temporal_sticky_cache_hit_total": "hits", "temporal_sticky_cache_miss_total": "misses",
		"temporal_sticky_cache_total_forced_eviction_total": "forced evictions"}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name, _, _ := strings.Cut(line[:i], "{")
		if short, ok := names[name]; ok {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				out[short] += v
			}
		}
	}
	return out
}

// fileMiB is the size of a SQLite database and its write-ahead log, in MiB.
func fileMiB(path string) float64 {
	if path == "" {
		return 0
	}
	var total int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	return float64(total) / (1 << 20)
}

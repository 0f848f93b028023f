package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/workflows"
)

// tuning holds the worker's levers for large fleets (docs/benchmarks.md, Fleets): they trade
// how soon sources tick again after a crash against how many can tick at once.
type tuning struct {
	stickyTimeout time.Duration
	pollers       int
	cacheSize     int
}

// defaultCacheSize is the worker's sticky workflow cache size, twice the SDK's: a cache no
// larger than the sources a worker serves misses at nearly every tick (they come round in
// turn, and the least recently used is the next one due), and each miss replays the source's
// run. 10,000 sources every minute on the SDK's 10,000 missed 48% of their ticks within two
// minutes of starting (docs/benchmarks.md, Fleets); a cached source costs about 80 KiB.
const defaultCacheSize = 20000

func (t *tuning) addFlags(fs *pflag.FlagSet) {
	defaults := workflows.WorkerOptions()
	fs.DurationVar(&t.stickyTimeout, "sticky-timeout", defaults.StickyScheduleToStartTimeout,
		"how long a source's workflow task waits for this worker, which has its state cached, before any worker takes it and replays its history (whole seconds)")
	fs.IntVar(&t.pollers, "workflow-pollers", defaults.MaxConcurrentWorkflowTaskPollers,
		"workflow task polls kept open at once (at least 2)")
	fs.IntVar(&t.cacheSize, "workflow-cache-size", defaultCacheSize,
		"sources whose state the worker keeps in memory; past it, a source's next tick replays its history")
}

// check refuses values the SDK would panic on or silently change.
func (t tuning) check() error {
	switch {
	case t.stickyTimeout < time.Second || t.stickyTimeout%time.Second != 0 || t.stickyTimeout > time.Hour:
		return fmt.Errorf("invalid --sticky-timeout %s: must be whole seconds from 1s to 1h", t.stickyTimeout)
	case t.pollers < 2 || t.pollers > 1024:
		return fmt.Errorf("invalid --workflow-pollers %d: must be from 2 to 1024", t.pollers)
	case t.cacheSize < 1 || t.cacheSize > 10_000_000:
		return fmt.Errorf("invalid --workflow-cache-size %d: must be from 1 to 10000000", t.cacheSize)
	}
	return nil
}

// options are the worker options with t applied. The cache size is the SDK's, shared by every
// worker of the process, so it is set here, before the worker starts.
func (t tuning) options() worker.Options {
	worker.SetStickyWorkflowCacheSize(t.cacheSize)
	opts := workflows.WorkerOptions()
	opts.StickyScheduleToStartTimeout = t.stickyTimeout
	opts.MaxConcurrentWorkflowTaskPollers = t.pollers
	return opts
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type options struct {
	only          []string
	clusterScript string
	systems       []string
	timerShift    string
	binDir        string
	sizes         []int
	warmup        time.Duration
	measure       time.Duration
	out           string
	// The fleet scenario's flags: sources, interval, measured intervals and shapes.
	fleetSources   int
	fleetInterval  time.Duration
	fleetIntervals int
	fleetShapes    []string
	fleetSystems   []string
	fleetGroupSize int
	fleetCrash     bool
	// The retention scenario's flags.
	retentionSources int
	retentionFor     time.Duration
	// devFlags and workerFlags are passed to the devserver and our worker, as levers to
	// measure (--history-cache-size, --sticky-timeout, say).
	devFlags, workerFlags []string
	// clusterNotes describe the clusters the run used, once each, for the report's notes.
	clusterNotes []string
}

// report is everything one run measured; it is written as JSON.
type report struct {
	Date    string         `json:"date"`
	Host    string         `json:"host"`
	Load    []loadResult   `json:"load"`
	History *historyResult `json:"history,omitempty"`
	// ClusterHistory is the history cost measured on each cluster system that ran.
	ClusterHistory []*historyResult `json:"clusterHistory,omitempty"`
	Recovery       []recovery       `json:"recovery,omitempty"`
	Footprint      []footprint      `json:"footprint,omitempty"`
	Replay         []replayResult   `json:"replay,omitempty"`
	Fleet          []fleetResult    `json:"fleet,omitempty"`
	Retention      *retentionResult `json:"retention,omitempty"`
	Errors         []string         `json:"errors,omitempty"`
	// Notes say which runs were left out, and why.
	Notes []string `json:"notes,omitempty"`
}

// scenarios are the names --only accepts.
func scenarios() []string {
	return []string{"capacity", "precision", "history", "recovery", "footprint", "fleet", "replay", "retention"}
}

func newCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:           "bench",
		Short:         "Measure the cron source and its baselines on this machine",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.measure <= 0 || o.warmup < 0 {
				return fmt.Errorf("invalid --measure %v or --warmup %v: must be positive", o.measure, o.warmup)
			}
			if len(o.sizes) == 0 {
				return fmt.Errorf("invalid --sizes: give at least one")
			}
			for _, name := range o.only {
				if !slices.Contains(scenarios(), name) {
					return fmt.Errorf("invalid --only %q: must be among %s", name, strings.Join(scenarios(), ", "))
				}
			}
			if err := o.checkFleet(); err != nil {
				return err
			}
			if err := o.checkRetention(); err != nil {
				return err
			}
			for _, name := range o.systems {
				if !slices.Contains(allSystems(), name) {
					return fmt.Errorf("invalid --systems %q: must be among %s", name, strings.Join(allSystems(), ", "))
				}
			}
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&o.only, "only", nil, "run only these of capacity, precision, history, recovery, footprint (default: all), "+
		"or fleet (only when asked: it takes minutes per shape), replay and retention (only when asked: more than an hour)")
	o.addFleetFlags(fs)
	o.addRetentionFlags(fs)
	fs.StringSliceVar(&o.systems, "systems", systems(), "systems to load, among "+strings.Join(allSystems(), ", ")+
		" (cluster: our worker on scripts/cluster.sh's local cluster with our dynamic config; cluster-stock: with Temporal's)")
	fs.StringVar(&o.clusterScript, "cluster-script", filepath.Join("scripts", "cluster.sh"),
		"the script that runs the local cluster of the cluster systems (CLUSTER_NODES and CLUSTER_SHARDS pass through to it)")
	fs.StringVar(&o.timerShift, "timer-shift", "", "the devserver's --timer-shift for the ours and schedules runs (default: its own)")
	fs.StringArrayVar(&o.devFlags, "devserver-flag", nil, "a flag for the devserver in the ours, stock, schedules and fleet runs, such as --devserver-flag=--history-cache-size=60000 (repeatable)")
	fs.StringArrayVar(&o.workerFlags, "worker-flag", nil, "a flag for our worker in the ours, stock and fleet runs, such as --worker-flag=--sticky-timeout=30s (repeatable)")
	fs.StringVar(&o.binDir, "bin", "bin", "folder of the devserver and worker binaries (make build)")
	fs.IntSliceVar(&o.sizes, "sizes", []int{50, 100, 200, 400}, "numbers of sources for the capacity runs")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "ticking before each measured window")
	fs.DurationVar(&o.measure, "measure", 60*time.Second, "length of each measured window")
	fs.StringVar(&o.out, "out", filepath.Join("bench", "results", time.Now().Format("2006-01-02")+".json"), "JSON results file")
	cmd.AddCommand(newBaselineWorkerCommand())
	return cmd
}

func (o *options) run(ctx context.Context, stdout io.Writer) error {
	rec, err := newRecorder()
	if err != nil {
		return err
	}
	defer rec.close()
	host, _ := os.Hostname()
	rep := report{Date: time.Now().UTC().Format(time.RFC3339), Host: host}
	if err := o.runLoads(ctx, rec, &rep); err != nil {
		return err
	}
	// A failure from here on still leaves the figures above to print.
	o.runExtras(ctx, rec, &rep)
	rep.Notes = append(rep.Notes, o.clusterNotes...)
	return o.writeReport(stdout, rep)
}

// loadRun is one load scenario: n sources ticking every interval, run on each of --systems.
type loadRun struct {
	scenario string
	n        int
	interval time.Duration
}

// loadRuns are the capacity and precision runs that --only and --sizes ask for.
func (o *options) loadRuns() []loadRun {
	var runs []loadRun
	if o.wants("capacity") {
		for _, n := range o.sizes {
			runs = append(runs, loadRun{"capacity", n, time.Second})
		}
	}
	if o.wants("precision") {
		runs = append(runs, loadRun{"precision", 1, time.Second}, loadRun{"precision", 1, 250 * time.Millisecond})
	}
	return runs
}

// runLoads runs every load scenario on every system, adding the results to rep, or a note
// for a run that a system cannot do. A cluster that does not come up (no PostgreSQL on the
// machine, say) is noted and left out of the runs that follow; any other failure ends the
// benchmark.
func (o *options) runLoads(ctx context.Context, rec *recorder, rep *report) error {
	down := map[string]bool{}
	for _, r := range o.loadRuns() {
		for _, name := range o.systems {
			if down[name] {
				continue
			}
			if name == "schedules" {
				if err := scheduleInterval(r.interval); err != nil {
					note := fmt.Sprintf("%s, %d sources every %v, not run on schedules: %v", r.scenario, r.n, r.interval, err)
					progress("%s", note)
					rep.Notes = append(rep.Notes, note)
					continue
				}
			}
			res, err := o.runLoadOn(ctx, rec, r, name)
			var notUp *clusterNotUp
			if errors.As(err, &notUp) && ctx.Err() == nil {
				note := fmt.Sprintf("%s not run from %s, %d sources every %v on: %v", name, r.scenario, r.n, r.interval, err)
				progress("%s", note)
				rep.Notes = append(rep.Notes, note)
				down[name] = true
				continue
			}
			if err != nil {
				return err
			}
			rep.Load = append(rep.Load, res)
		}
	}
	return nil
}

// runLoadOn runs one load scenario on a fresh system of the given name.
func (o *options) runLoadOn(ctx context.Context, rec *recorder, r loadRun, name string) (loadResult, error) {
	progress("%s: %d sources every %v on %s", r.scenario, r.n, r.interval, name)
	sys, err := o.system(ctx, name, rec.url)
	if err != nil {
		return loadResult{}, err
	}
	res, err := runLoad(ctx, rec, sys, r.scenario, name, r.n, r.interval, o.warmup, o.measure)
	sys.close()
	if err != nil {
		return loadResult{}, fmt.Errorf("%s %d on %s: %w", r.scenario, r.n, name, err)
	}
	return res, nil
}

// runExtras runs the history, recovery and footprint measures that --only asks for. A failure
// is recorded in rep.Errors, and the next measure runs.
func (o *options) runExtras(ctx context.Context, rec *recorder, rep *report) {
	var err error
	if o.wants("history") {
		progress("history cost")
		if rep.History, err = o.history(ctx, rec); err != nil {
			rep.Errors = append(rep.Errors, "history: "+err.Error())
		}
		for _, name := range o.systems {
			if !isCluster(name) {
				continue
			}
			progress("history cost on %s", name)
			h, err := o.clusterHistory(ctx, rec, name)
			if err != nil {
				rep.Errors = append(rep.Errors, "history on "+name+": "+err.Error())
				continue
			}
			rep.ClusterHistory = append(rep.ClusterHistory, h)
		}
	}
	if o.wants("recovery") {
		progress("recovery")
		if rep.Recovery, err = o.recovery(ctx, rec); err != nil {
			rep.Errors = append(rep.Errors, "recovery: "+err.Error())
		}
	}
	if o.wants("footprint") {
		progress("footprint")
		if rep.Footprint, err = o.footprint(ctx, rec); err != nil {
			rep.Errors = append(rep.Errors, "footprint: "+err.Error())
		}
	}
	if slices.Contains(o.only, "replay") {
		progress("replay")
		if rep.Replay, err = o.replay(ctx, rec); err != nil {
			rep.Errors = append(rep.Errors, "replay: "+err.Error())
		}
	}
	if slices.Contains(o.only, "fleet") {
		o.runFleets(ctx, rec, rep)
	}
	if slices.Contains(o.only, "retention") {
		progress("retention: %d sources at 1s for %v", o.retentionSources, o.retentionFor)
		r, err := o.retention(ctx, rec)
		if err != nil {
			rep.Errors = append(rep.Errors, "retention: "+err.Error())
		}
		rep.Retention = &r
	}
}

// writeReport prints rep, its notes and errors, and writes it as JSON to --out.
func (o *options) writeReport(stdout io.Writer, rep report) error {
	printReport(stdout, rep)
	for _, n := range rep.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(stdout, "error:", e)
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", o.out)
	return nil
}

// progress tells what the benchmark is doing, on stderr.
func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

func (o *options) wants(scenario string) bool {
	return len(o.only) == 0 || slices.Contains(o.only, scenario)
}

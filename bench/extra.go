package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/workflows"
)

// historyResult is what one run of a source costs in Temporal history.
type historyResult struct {
	TicksPerRun    int     `json:"ticksPerRun"`
	EventsAtCAN    int     `json:"historyEventsAtContinueAsNew"`
	EventsPerTick  float64 `json:"historyEventsPerTick"`
	SteadyPerTick  float64 `json:"historyEventsPerTickSteady"`
	DefaultCANSize int     `json:"historyEventsAtDefaultContinueAsNewExtrapolated"`
}

// history runs one source at 100 ms that continues as new every 50 ticks, and counts the events
// of its first run.
func (o *options) history(ctx context.Context, rec *recorder) (*historyResult, error) {
	const ticks = 50
	s, err := startStack(ctx, o.binDir, rec.url, false, o.timerShift)
	if err != nil {
		return nil, err
	}
	defer s.close()
	run, err := s.client.ExecuteWorkflow(ctx, workflows.StartOptions("bench-history", "hello-cron"),
		workflows.CronSource, workflows.Input{Config: workflows.Config{Interval: 100 * time.Millisecond, ContinueAsNewAfter: ticks,
			// Once the worker polls: ticks caught up back to back would cost less than ticks on time.
			StartAt: time.Now().Add(3 * time.Second).Truncate(time.Second)}})
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		h, closed, err := readHistory(ctx, s.client, run.GetID(), run.GetRunID())
		if err != nil {
			return nil, err
		}
		if closed {
			h.EventsPerTick = float64(h.EventsAtCAN) / float64(h.TicksPerRun)
			// Extrapolated from the measured steady cost, for the default run length.
			h.DefaultCANSize = h.EventsAtCAN + int(h.SteadyPerTick*float64(workflows.DefaultContinueAsNewAfter-h.TicksPerRun))
			return h, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the history source did not continue as new within a minute")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readHistory counts a run's events and ticks, and the events from one tick's delivery to the
// next, averaged over the run: the steady cost of a tick, without the run's start and end. A
// tick's delivery starts with a local activity marker, or with a scheduled Deliver activity for
// runs without the local first attempt.
func readHistory(ctx context.Context, c client.Client, id, runID string) (*historyResult, bool, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, 0)
	n, closed := 0, false
	var deliveries []int // event index of the start of every delivery
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, false, err
		}
		local := e.GetMarkerRecordedEventAttributes().GetMarkerName() == localActivityMarker
		regular := e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "Deliver"
		if local || regular {
			deliveries = append(deliveries, n)
		}
		n++
		closed = closed || e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
	}
	h := &historyResult{EventsAtCAN: n, TicksPerRun: len(deliveries)}
	if k := len(deliveries); k > 1 {
		h.SteadyPerTick = float64(deliveries[k-1]-deliveries[0]) / float64(k-1)
	}
	return h, closed, nil
}

// localActivityMarker names the marker that records a local activity's result.
const localActivityMarker = "LocalActivity"

// recovery is how long sources take to tick again after a worker restart.
type recovery struct {
	Signal      string  `json:"signal"`
	Sources     int     `json:"sources"`
	FirstMs     float64 `json:"firstEventMs"`
	AllMs       float64 `json:"allSourcesMs"`
	MissingLeft int     `json:"sourcesNotBackWithin30s"`
}

// recovery restarts the worker of 50 ticking sources, after SIGTERM and after kill -9, and
// times the first event and the last source to tick again, from the new worker's start.
func (o *options) recovery(ctx context.Context, rec *recorder) ([]recovery, error) {
	const n = 50
	s, err := startStack(ctx, o.binDir, rec.url, false, o.timerShift)
	if err != nil {
		return nil, err
	}
	defer s.close()
	rec.reset()
	first := time.Now().Add(3 * time.Second).Truncate(time.Second)
	if err := (ours{s}).start(ctx, n, time.Second, first); err != nil {
		return nil, err
	}
	var out []recovery
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if err := sleepUntil(ctx, time.Now().Add(8*time.Second)); err != nil {
			return nil, err
		}
		s.worker.stop(sig)
		restarted := time.Now()
		if err := s.startWorker(); err != nil {
			return nil, err
		}
		if err := sleepUntil(ctx, restarted.Add(30*time.Second)); err != nil {
			return nil, err
		}
		back := map[string]time.Time{}
		var firstAt time.Time
		for _, a := range rec.snapshot() {
			if a.at.Before(restarted) {
				continue
			}
			if firstAt.IsZero() || a.at.Before(firstAt) {
				firstAt = a.at
			}
			if _, ok := back[a.source]; !ok {
				back[a.source] = a.at
			}
		}
		r := recovery{Signal: map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGKILL: "kill -9"}[sig], Sources: n,
			MissingLeft: n - len(back)}
		if !firstAt.IsZero() {
			r.FirstMs = ms(firstAt.Sub(restarted))
		}
		var last time.Time
		for _, at := range back {
			if at.After(last) {
				last = at
			}
		}
		if !last.IsZero() {
			r.AllMs = ms(last.Sub(restarted))
		}
		out = append(out, r)
	}
	return out, nil
}

// footprint is the resident memory of the processes.
type footprint struct {
	State  string             `json:"state"`
	RSSMiB map[string]float64 `json:"rssMiB"`
}

// footprint measures an idle stack; the loaded figures come from the capacity runs.
func (o *options) footprint(ctx context.Context, rec *recorder) ([]footprint, error) {
	s, err := startStack(ctx, o.binDir, rec.url, false, o.timerShift)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := sleepUntil(ctx, time.Now().Add(10*time.Second)); err != nil {
		return nil, err
	}
	return []footprint{{State: "idle", RSSMiB: s.rss()}}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printReport(w io.Writer, rep report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tsystem\tsources\tinterval\toffered/s\tdelivered/s\tdelivered\tp50 ms\tp99 ms\tmax ms\tCPU ms/tick\tRSS MiB\t")
	for _, r := range rep.Load {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f\t%.1f\t%.1f%%\t%.0f\t%.0f\t%.0f\t%.2f\t%s\t\n", r.Scenario, r.System, r.Sources, r.Interval,
			r.OfferedPerSec, r.DeliveredPerSec, 100*r.Window.Ratio, r.Window.P50, r.Window.P99, r.Window.Max, r.CPUPerTickMs, rssText(r.RSSMiB))
	}
	_ = tw.Flush()
	for _, line := range capacitySummary(rep.Load) {
		fmt.Fprintln(w, line)
	}
	if h := rep.History; h != nil {
		fmt.Fprintf(w, "\nhistory: %.1f events per tick (%.1f steady), %d events at continue-as-new after %d ticks (~%d extrapolated to the default %d)\n",
			h.EventsPerTick, h.SteadyPerTick, h.EventsAtCAN, h.TicksPerRun, h.DefaultCANSize, workflows.DefaultContinueAsNewAfter)
	}
	for _, r := range rep.Recovery {
		fmt.Fprintf(w, "recovery after %s: first event %.0f ms, all %d sources %.0f ms after the new worker started (%d not back)\n",
			r.Signal, r.FirstMs, r.Sources, r.AllMs, r.MissingLeft)
	}
	for _, f := range rep.Footprint {
		fmt.Fprintf(w, "footprint %s: %s\n", f.State, rssText(f.RSSMiB))
	}
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

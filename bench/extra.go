package main

import (
	"context"
	"fmt"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/workflows"
)

// historyResult is what one run of a source costs in Temporal history.
type historyResult struct {
	// System is the cluster system measured; empty for the devserver.
	System         string  `json:"system,omitempty"`
	TicksPerRun    int     `json:"ticksPerRun"`
	EventsAtCAN    int     `json:"historyEventsAtContinueAsNew"`
	EventsPerTick  float64 `json:"historyEventsPerTick"`
	SteadyPerTick  float64 `json:"historyEventsPerTickSteady"`
	DefaultCANSize int     `json:"historyEventsAtDefaultContinueAsNewExtrapolated"`
}

// history runs one source at 100 ms that continues as new every 50 ticks on the devserver, and
// counts the events of its first run.
func (o *options) history(ctx context.Context, rec *recorder) (*historyResult, error) {
	s, err := startStack(ctx, o.binDir, rec.url, false, o.timerShift)
	if err != nil {
		return nil, err
	}
	defer s.close()
	return historyOn(ctx, s.client)
}

// clusterHistory measures the history cost as history does, on a fresh cluster of the given
// --systems name.
func (o *options) clusterHistory(ctx context.Context, rec *recorder, name string) (*historyResult, error) {
	c, err := startCluster(ctx, o.clusterScript, o.binDir, rec.url, stockConfig(name))
	if err != nil {
		return nil, err
	}
	defer c.close()
	h, err := historyOn(ctx, c.client)
	if h != nil {
		h.System = name
	}
	return h, err
}

// historyOn runs the history source on the server c talks to, and counts its first run's events.
func historyOn(ctx context.Context, c client.Client) (*historyResult, error) {
	const ticks = 50
	run, err := c.ExecuteWorkflow(ctx, workflows.StartOptions("bench-history", "hello-cron"),
		workflows.CronSource, workflows.Input{Config: workflows.Config{Interval: 100 * time.Millisecond, ContinueAsNewAfter: ticks,
			// Once the worker polls: ticks caught up back to back would cost less than ticks on time.
			StartAt: time.Now().Add(3 * time.Second).Truncate(time.Second)}})
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		h, closed, err := readHistory(ctx, c, run.GetID(), run.GetRunID())
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

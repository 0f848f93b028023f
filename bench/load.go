package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"syscall"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/workflows"
)

// system is something that emits N sources' ticks to the recorder: our stack, or a baseline.
type system interface {
	// start begins n sources at interval; source i's first tick is due at first + i × interval / n.
	start(ctx context.Context, n int, interval time.Duration, first time.Time) error
	// cpu is the CPU time the system has used so far.
	cpu() time.Duration
	// rss is the resident memory of its processes, by name.
	rss() map[string]float64
	close()
}

// ours runs the sources as CronSource workflows on a devserver and a worker.
type ours struct{ *stack }

func (o ours) start(ctx context.Context, n int, interval time.Duration, first time.Time) error {
	for i := range n {
		cfg := workflows.Config{Interval: interval, Source: fmt.Sprintf("urn:bench:%d", i),
			StartAt: first.Add(time.Duration(i) * interval / time.Duration(n))}
		_, err := o.client.ExecuteWorkflow(ctx, workflows.StartOptions(fmt.Sprintf("bench-%d", i), "hello-cron"),
			workflows.CronSource, workflows.Input{Config: cfg})
		if err != nil {
			return fmt.Errorf("start source %d: %w", i, err)
		}
	}
	return nil
}

// ticker is baseline (a): a plain Go ticker per source posting the same CloudEvents, with no
// durability, the way Knative's heartbeats sample and PingSource work. The HTTP ceiling.
type ticker struct {
	sink    string
	client  *http.Client
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started time.Time
}

func newTicker(sinkURL string) *ticker {
	return &ticker{sink: sinkURL, client: sink.NewHTTPClient(nil, sink.DefaultRequestTimeout, sink.Policy{}), started: time.Now()}
}

func (t *ticker) start(ctx context.Context, n int, interval time.Duration, first time.Time) error {
	ctx, t.cancel = context.WithCancel(ctx)
	for i := range n {
		due := first.Add(time.Duration(i) * interval / time.Duration(n))
		t.wg.Go(func() { t.run(ctx, i, due, interval) })
	}
	return nil
}

func (t *ticker) run(ctx context.Context, i int, due time.Time, interval time.Duration) {
	timer := time.NewTimer(time.Until(due))
	defer timer.Stop()
	for seq := int64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		tick := contract.Tick{ID: fmt.Sprintf("ticker-%d-%d", i, seq), Sequence: seq, Time: due,
			Type: workflows.DefaultType, Source: fmt.Sprintf("urn:bench:%d", i), WorkflowID: "ticker"}
		if e, err := activities.NewEvent(tick, nil); err == nil {
			if req, err := cehttp.NewHTTPRequestFromEvent(ctx, t.sink, e); err == nil {
				if resp, err := t.client.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}
		due = due.Add(interval)
		timer.Reset(time.Until(due))
	}
}

func (t *ticker) cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (t *ticker) rss() map[string]float64 { return nil }

func (t *ticker) close() {
	if t.cancel != nil {
		t.cancel()
	}
	t.wg.Wait()
}

// loadResult is one capacity or precision run.
type loadResult struct {
	Scenario        string             `json:"scenario"`
	System          string             `json:"system"`
	Sources         int                `json:"sources"`
	Interval        string             `json:"interval"`
	Seconds         float64            `json:"seconds"`
	OfferedPerSec   float64            `json:"offeredPerSec"`
	DeliveredPerSec float64            `json:"deliveredPerSec"`
	Window          window             `json:"window"`
	CPUPerTickMs    float64            `json:"cpuPerTickMs"`
	RSSMiB          map[string]float64 `json:"rssMiB,omitempty"`
}

// runLoad drives n sources at interval on sys for measure, after warmup, and judges the ticks
// scheduled in the measured window.
func runLoad(ctx context.Context, rec *recorder, sys system, scenario, name string, n int, interval, warmup, measure time.Duration) (loadResult, error) {
	rec.reset()
	first := time.Now().Add(2*time.Second + time.Duration(n)*10*time.Millisecond).Truncate(time.Second)
	if err := sys.start(ctx, n, interval, first); err != nil {
		return loadResult{}, err
	}
	from := first.Add(warmup)
	to := from.Add(measure)
	if err := sleepUntil(ctx, from); err != nil {
		return loadResult{}, err
	}
	cpu0 := sys.cpu()
	if err := sleepUntil(ctx, to); err != nil {
		return loadResult{}, err
	}
	cpu := sys.cpu() - cpu0
	rss := sys.rss()
	const grace = 2 * time.Second
	if err := sleepUntil(ctx, to.Add(grace)); err != nil {
		return loadResult{}, err
	}
	offered := int(measure / interval * time.Duration(n))
	w := summarize(rec.snapshot(), from, to, grace, offered)
	r := loadResult{Scenario: scenario, System: name, Sources: n, Interval: interval.String(), Seconds: measure.Seconds(),
		OfferedPerSec: float64(offered) / measure.Seconds(), DeliveredPerSec: float64(w.Delivered) / measure.Seconds(),
		Window: w, RSSMiB: rss}
	if w.Delivered > 0 {
		r.CPUPerTickMs = float64(cpu) / float64(time.Millisecond) / float64(w.Delivered)
	}
	return r, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(t)):
		return nil
	}
}

func quietLogger() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

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
	"go.temporal.io/sdk/client"
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
	// cpu is the CPU time each of the system's processes has used so far, by name.
	cpu() map[string]time.Duration
	// rss is the resident memory of its processes, by name.
	rss() map[string]float64
	close()
}

// ours runs the sources as CronSource workflows on a devserver and a worker.
type ours struct{ *stack }

func (o ours) start(ctx context.Context, n int, interval time.Duration, first time.Time) error {
	return startSources(ctx, o.client, n, interval, first)
}

// startSources starts n CronSource workflows at interval, spread evenly over it from first.
func startSources(ctx context.Context, c client.Client, n int, interval time.Duration, first time.Time) error {
	for i := range n {
		cfg := workflows.Config{Interval: interval, Source: fmt.Sprintf("urn:bench:%d", i),
			StartAt: spreadFirst(first, interval, i, n)}
		_, err := c.ExecuteWorkflow(ctx, workflows.StartOptions(fmt.Sprintf("bench-%d", i), "hello-cron"),
			workflows.CronSource, workflows.Input{Config: cfg})
		if err != nil {
			return fmt.Errorf("start source %d: %w", i, err)
		}
	}
	return nil
}

// spreadFirst is the first tick of source i of n spread evenly over interval from first.
func spreadFirst(first time.Time, interval time.Duration, i, n int) time.Time {
	return first.Add(time.Duration(i) * interval / time.Duration(n))
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
	return t.startFleet(ctx, n, interval, first, shapeSpread)
}

// startFleet starts n goroutines: spread, their first ticks spread over the interval from first;
// aligned, all due at first.
func (t *ticker) startFleet(ctx context.Context, n int, interval time.Duration, first time.Time, shape string) error {
	ctx, t.cancel = context.WithCancel(ctx)
	for i := range n {
		due := first
		if shape == shapeSpread {
			due = spreadFirst(first, interval, i, n)
		}
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

// cpu is the whole benchmark process's, sink included: the ticker runs inside it.
func (t *ticker) cpu() map[string]time.Duration { return map[string]time.Duration{"bench": selfCPU()} }

// selfCPU is the benchmark process's own CPU time so far.
func selfCPU() time.Duration {
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
	Scenario        string  `json:"scenario"`
	System          string  `json:"system"`
	Sources         int     `json:"sources"`
	Interval        string  `json:"interval"`
	Seconds         float64 `json:"seconds"`
	OfferedPerSec   float64 `json:"offeredPerSec"`
	DeliveredPerSec float64 `json:"deliveredPerSec"`
	Window          window  `json:"window"`
	// CPUPerTickMs is the system's CPU time per delivered tick, all its processes together;
	// CPUPerTickMsBy splits it by process (for the cluster: node1, node2, postgres, worker).
	CPUPerTickMs   float64            `json:"cpuPerTickMs"`
	CPUPerTickMsBy map[string]float64 `json:"cpuPerTickMsBy,omitempty"`
	// BenchCPUPerTickMs is the benchmark process's own (the sink and the load generator), which
	// shares the machine's cores with the system.
	BenchCPUPerTickMs float64            `json:"benchCpuPerTickMs"`
	RSSMiB            map[string]float64 `json:"rssMiB,omitempty"`
	// LoadAverage is the machine's one-minute load average before the run: other work on a
	// shared machine shows here.
	LoadAverage float64 `json:"loadAverage1m"`
}

// runLoad drives n sources at interval on sys for measure, after warmup, and judges the ticks
// scheduled in the measured window.
func runLoad(ctx context.Context, rec *recorder, sys system, scenario, name string, n int, interval, warmup, measure time.Duration) (loadResult, error) {
	rec.reset()
	loadAvg := loadAverage()
	progress("load average %.2f", loadAvg)
	first := time.Now().Add(2*time.Second + time.Duration(n)*10*time.Millisecond).Truncate(time.Second)
	if err := sys.start(ctx, n, interval, first); err != nil {
		return loadResult{}, err
	}
	from := first.Add(warmup)
	to := from.Add(measure)
	if err := sleepUntil(ctx, from); err != nil {
		return loadResult{}, err
	}
	cpu0, bench0 := sys.cpu(), selfCPU()
	if err := sleepUntil(ctx, to); err != nil {
		return loadResult{}, err
	}
	cpu, bench := cpuDelta(cpu0, sys.cpu()), selfCPU()-bench0
	rss := sys.rss()
	const grace = 2 * time.Second
	if err := sleepUntil(ctx, to.Add(grace)); err != nil {
		return loadResult{}, err
	}
	offered := int(measure / interval * time.Duration(n))
	w := summarize(rec.snapshot(), from, to, grace, offered)
	r := loadResult{Scenario: scenario, System: name, Sources: n, Interval: interval.String(), Seconds: measure.Seconds(),
		OfferedPerSec: float64(offered) / measure.Seconds(), DeliveredPerSec: float64(w.Delivered) / measure.Seconds(),
		Window: w, RSSMiB: rss, LoadAverage: loadAvg}
	r.CPUPerTickMs, r.CPUPerTickMsBy = perTick(cpu, w.Delivered)
	if w.Delivered > 0 {
		r.BenchCPUPerTickMs = ms(bench) / float64(w.Delivered)
	}
	return r, nil
}

// cpuDelta is the CPU time each process used between two readings.
func cpuDelta(before, after map[string]time.Duration) map[string]time.Duration {
	d := make(map[string]time.Duration, len(after))
	for name, t := range after {
		d[name] = t - before[name]
	}
	return d
}

// perTick divides the CPU time of each process, and of all of them, by the ticks delivered:
// milliseconds per tick, zero when none was delivered. A system of one process has no split.
func perTick(cpu map[string]time.Duration, ticks int) (float64, map[string]float64) {
	if ticks <= 0 {
		return 0, nil
	}
	var total time.Duration
	by := make(map[string]float64, len(cpu))
	for name, t := range cpu {
		total += t
		by[name] = ms(t) / float64(ticks)
	}
	if len(by) < 2 {
		by = nil
	}
	return ms(total) / float64(ticks), by
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

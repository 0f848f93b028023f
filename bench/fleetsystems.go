package main

// The systems of the fleet scenario: ours (and stock), Schedules and the ticker each start a
// fleet in either shape.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hello-cron/cronsource/workflows"
)

// fleetSystem is a system that can start a fleet in either shape.
type fleetSystem interface {
	system
	startFleet(ctx context.Context, n int, every time.Duration, first time.Time, shape string) error
}

// startFleetSystem starts a fresh system of the fleet scenario, and for those on a devserver its
// stack (nil for the ticker): ours and stock with the worker's /metrics on.
func (o *options) startFleetSystem(ctx context.Context, name, sink string) (fleetSystem, *stack, error) {
	switch name {
	case "ticker":
		return newTicker(sink), nil, nil
	case "schedules":
		s, err := startSchedules(ctx, o.binDir, sink, o.timerShift, o.devFlags)
		if err != nil {
			return nil, nil, err
		}
		return s, s.stack, nil
	}
	s, err := o.ourStack(ctx, name, sink, true)
	if err != nil {
		return nil, nil, err
	}
	return ours{s}, s, nil
}

// startFleet starts n sources, fleetStarts at a time. Spread: interval sources whose first ticks
// are spread over the interval from first. Aligned: sources on the cron expression of the
// interval (every interval from the hour), which all fire at once from first on.
func (o ours) startFleet(ctx context.Context, n int, every time.Duration, first time.Time, shape string) error {
	work := make(chan int)
	errs := make(chan error, fleetStarts)
	var wg sync.WaitGroup
	for range fleetStarts {
		wg.Go(func() {
			for i := range work {
				cfg := workflows.Config{Interval: every, Source: fmt.Sprintf("urn:bench:%d", i), StartAt: spreadFirst(first, every, i, n)}
				if shape == shapeAligned {
					cfg = workflows.Config{Cron: cronEvery(every), Source: fmt.Sprintf("urn:bench:%d", i), StartAt: first}
				}
				_, err := o.client.ExecuteWorkflow(ctx, workflows.StartOptions(fmt.Sprintf("fleet-%d", i), "hello-cron"),
					workflows.CronSource, workflows.Input{Config: cfg})
				if err != nil {
					select {
					case errs <- fmt.Errorf("start source %d: %w", i, err):
					default:
					}
				}
			}
		})
	}
	for i := range n {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			wg.Wait()
			return err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

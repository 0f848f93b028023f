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
	if name == "groups" {
		return groups{ours{s}, o.fleetGroupSize}, s, nil
	}
	return ours{s}, s, nil
}

// startFleet starts n sources, fleetStarts at a time. Spread: interval sources whose first ticks
// are spread over the interval from first. Aligned: sources on the cron expression of the
// interval (every interval from the hour), which all fire at once from first on.
func (o ours) startFleet(ctx context.Context, n int, every time.Duration, first time.Time, shape string) error {
	return startEach(ctx, n, func(i int) error {
		_, err := o.client.ExecuteWorkflow(ctx, workflows.StartOptions(fmt.Sprintf("fleet-%d", i), "hello-cron"),
			workflows.CronSource, workflows.Input{Config: fleetConfig(i, n, every, first, shape)})
		if err != nil {
			return fmt.Errorf("start source %d: %w", i, err)
		}
		return nil
	})
}

// fleetConfig is source i's of a fleet of n in shape.
func fleetConfig(i, n int, every time.Duration, first time.Time, shape string) workflows.Config {
	if shape == shapeAligned {
		return workflows.Config{Cron: cronEvery(every), Source: fmt.Sprintf("urn:bench:%d", i), StartAt: first}
	}
	return workflows.Config{Interval: every, Source: fmt.Sprintf("urn:bench:%d", i), StartAt: spreadFirst(first, every, i, n)}
}

// groups is our stack with the fleet's sources in groups of size, each one workflows.CronGroup.
type groups struct {
	ours
	size int
}

// startFleet starts the fleet's groups, each with its members in its input.
func (g groups) startFleet(ctx context.Context, n int, every time.Duration, first time.Time, shape string) error {
	return startEach(ctx, (n+g.size-1)/g.size, func(k int) error {
		var in workflows.GroupInput
		for i := k * g.size; i < min(n, (k+1)*g.size); i++ {
			in.Members = append(in.Members, workflows.Member{ID: fmt.Sprintf("fleet-%d", i), Config: fleetConfig(i, n, every, first, shape)})
		}
		_, err := g.client.ExecuteWorkflow(ctx, workflows.GroupStartOptions(fmt.Sprintf("fleet-group-%d", k), "hello-cron"),
			workflows.CronGroup, in)
		if err != nil {
			return fmt.Errorf("start group %d: %w", k, err)
		}
		return nil
	})
}

// startEach calls start for 0 to n-1, fleetStarts at a time, and returns the first error.
func startEach(ctx context.Context, n int, start func(i int) error) error {
	work := make(chan int)
	errs := make(chan error, fleetStarts)
	var wg sync.WaitGroup
	for range fleetStarts {
		wg.Go(func() {
			for i := range work {
				if err := start(i); err != nil {
					select {
					case errs <- err:
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

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/workflows"
)

// schedules is baseline (b): Temporal Schedules on our devserver, run as `ours` runs it. Each
// source is one Schedule whose action starts a scheduledTick workflow, which hands one tick to
// the same Deliver activity our worker runs. The workflow runs on the bench's baseline-worker,
// a child process like our worker, so that CPU and memory are counted the same way: the
// devserver (which also runs the Schedules' scheduler workflows, on its internal worker) plus
// the worker.
type schedules struct {
	*stack
	ids []string // the Schedules created (empty where creating failed), deleted by close
}

// parallelism bounds the CreateSchedule and DeleteSchedule calls in flight: a Schedule that is
// created after its first time never takes it, so creating them one by one could cost the
// first ticks of the last ones at a few hundred sources.
const parallelism = 8

func startSchedules(ctx context.Context, binDir, sink, shift string, devFlags []string) (*schedules, error) {
	s, err := launchStack(ctx, &stack{binDir: binDir, shift: shift, sink: sink, baselineWorker: true, devFlags: devFlags})
	if err != nil {
		return nil, err
	}
	return &schedules{stack: s}, nil
}

// scheduleInterval says whether a Schedule can tick at interval: its interval spec counts whole
// seconds, from 1 s (the server rejects less, and drops fractions of a second).
func scheduleInterval(interval time.Duration) error {
	if interval < time.Second || interval%time.Second != 0 {
		return fmt.Errorf("a Schedule's interval is a whole number of seconds, at least 1s, not %v", interval)
	}
	return nil
}

// start creates n Schedules that tick every interval from first. Unlike the other systems, the
// sources cannot be spread over the interval: a Schedule's times (interval and offset) have a
// resolution of one second, so at 1 s every Schedule fires at the same whole seconds. Jitter
// would spread them, but moves each start away from its scheduled time by a random amount that
// the started workflow cannot see.
func (s *schedules) start(ctx context.Context, n int, interval time.Duration, first time.Time) error {
	if err := scheduleInterval(interval); err != nil {
		return err
	}
	return s.createAll(ctx, n, first, func(i int) client.ScheduleSpec {
		return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: interval}}, StartAt: first}
	}, interval)
}

// startFleet creates the fleet scenario's n Schedules. Spread: on interval specs whose offsets
// spread the Schedules over the interval, to the second (their resolution). Aligned: on the
// interval's cron expression, so that all fire at once.
func (s *schedules) startFleet(ctx context.Context, n int, every time.Duration, first time.Time, shape string) error {
	if err := scheduleInterval(every); err != nil {
		return err
	}
	if shape == shapeAligned {
		return s.createAll(ctx, n, first, func(int) client.ScheduleSpec {
			return client.ScheduleSpec{CronExpressions: []string{cronEvery(every)}, StartAt: first}
		}, every)
	}
	return s.createAll(ctx, n, first, func(i int) client.ScheduleSpec { return spreadSpec(first, every, i, n) }, every)
}

// spreadSpec is the spec of Schedule i of n spread over every from first: every interval from
// its first time, the second at or before source i's first tick in the other systems.
func spreadSpec(first time.Time, every time.Duration, i, n int) client.ScheduleSpec {
	at := spreadFirst(first, every, i, n).Truncate(time.Second)
	return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every, Offset: at.Sub(at.Truncate(every))}}, StartAt: at}
}

// createAll creates n Schedules on the specs that spec gives, whose workflows count intervals
// from each spec's StartAt.
func (s *schedules) createAll(ctx context.Context, n int, first time.Time, spec func(i int) client.ScheduleSpec, interval time.Duration) error {
	s.ids = make([]string, n)
	err := inParallel(n, func(i int) error {
		id := fmt.Sprintf("bench-schedule-%d", i)
		if err := s.create(ctx, id, i, spec(i), interval); err != nil {
			return err
		}
		s.ids[i] = id
		return nil
	})
	if err != nil {
		return err
	}
	if late := time.Since(first); late > 0 {
		// Only a tick in the measured window, after the warmup, would count as lost.
		fmt.Fprintf(os.Stderr, "bench: creating %d Schedules ended %v after their first time: the ticks before were never taken\n", n, late)
	}
	return nil
}

// create creates Schedule id on spec; its first action is at spec.StartAt (a whole second), none before.
func (s *schedules) create(ctx context.Context, id string, i int, spec client.ScheduleSpec, interval time.Duration) error {
	_, err := s.client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			// The scheduler appends the scheduled time to this id: bench-<i>-<RFC 3339 UTC>.
			ID:                  fmt.Sprintf("bench-%d", i),
			Workflow:            scheduledTickWorkflow,
			Args:                []any{scheduledInput{Source: fmt.Sprintf("urn:bench:%d", i), StartAt: spec.StartAt, Interval: interval}},
			TaskQueue:           baselineTaskQueue,
			WorkflowTaskTimeout: workflows.TaskTimeout,
		},
		// ALLOW_ALL takes every action at its time, whether or not earlier ones still run: no
		// tick is skipped (SKIP, the default, drops a tick while the previous one is still
		// delivering), and the scheduler does not have to watch the runs it started (BUFFER_ALL
		// would, with an extra local activity per run, and would hold every tick behind the
		// previous one, as ours does by delivering in order). ALLOW_ALL is the cheapest policy
		// that delivers every tick, so the baseline is not handicapped; it gives up the order.
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
		// CatchupWindow left to the server's default, one year: like our source's default
		// catch-up (all), a late tick is still taken, late, never dropped.
	})
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return nil
}

// close deletes the Schedules, so that none starts anything more, then stops the stack.
func (s *schedules) close() {
	// A fleet's Schedules take a while: a minute, and 10 ms more for each.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(len(s.ids))*10*time.Millisecond)
	defer cancel()
	var failed atomic.Int64
	err := inParallel(len(s.ids), func(i int) error {
		if s.ids[i] == "" {
			return nil // not created
		}
		if err := s.client.ScheduleClient().GetHandle(ctx, s.ids[i]).Delete(ctx); err != nil {
			if failed.Add(1) > 1 {
				return nil // the first one says why
			}
			return fmt.Errorf("delete schedule %s: %w", s.ids[i], err)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v (%d Schedules not deleted in all)\n", err, failed.Load())
	}
	s.stack.close()
}

// inParallel calls fn(0) to fn(n-1), at most parallelism at a time, and joins their errors.
func inParallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

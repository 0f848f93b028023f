package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

// classic is baseline (d): the design of the classic demo and of most cron workflows written for
// Temporal, on the stock dev-server settings. Each source is one long-running workflow that
// sleeps until its next tick and runs a regular activity for it: a timer and an activity task
// per tick, where ours runs the first attempt as a local activity. It is what the stock settings
// sustain with nothing of ours but the Deliver activity and its retry policy.
type classic struct{ *stack }

// classicSourceWorkflow is the name of the bench workflow each classic source runs. Only the
// bench's baseline-worker registers it, never our worker.
const classicSourceWorkflow = "BenchClassicSource"

// classicInput is one classic source: tick k is due at StartAt + (k-1) × Interval.
type classicInput struct {
	Source   string
	StartAt  time.Time
	Interval time.Duration
}

func startClassic(ctx context.Context, binDir, sink string) (classic, error) {
	s, err := launchStack(ctx, &stack{binDir: binDir, stock: true, sink: sink, baselineWorker: true})
	return classic{s}, err
}

func (c classic) start(ctx context.Context, n int, interval time.Duration, first time.Time) error {
	for i := range n {
		id := fmt.Sprintf("bench-%d", i)
		in := classicInput{Source: fmt.Sprintf("urn:bench:%d", i), Interval: interval,
			StartAt: spreadFirst(first, interval, i, n)}
		if _, err := c.client.ExecuteWorkflow(ctx, workflows.StartOptions(id, baselineTaskQueue), classicSourceWorkflow, in); err != nil {
			return fmt.Errorf("start classic source %d: %w", i, err)
		}
	}
	return nil
}

// classicSource delivers its ticks one after the other, each at its time or as soon as the
// previous one is delivered, with no end: the benchmark's runs are short, so it never needs to
// continue as new.
func classicSource(ctx workflow.Context, in classicInput) error {
	if in.Interval <= 0 {
		return fmt.Errorf("invalid interval %v: must be positive", in.Interval)
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	for seq := int64(1); ; seq++ {
		due := in.StartAt.Add(time.Duration(seq-1) * in.Interval)
		if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		tick := contract.Tick{ID: fmt.Sprintf("%s-%d", id, seq), Sequence: seq, Time: due,
			Type: workflows.DefaultType, Source: in.Source, WorkflowID: id}
		if err := deliver(ctx, tick); err != nil && !contract.IsRejected(err) {
			return err
		}
	}
}

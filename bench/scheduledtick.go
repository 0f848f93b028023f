package main

import (
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

// scheduledTickWorkflow is the name of the bench workflow each Schedule's action starts. Only
// the bench's baseline-worker registers it, never our worker.
const scheduledTickWorkflow = "BenchScheduledTick"

// scheduledStartTime is the search attribute in which the scheduler gives every workflow it
// starts its scheduled (nominal) time, truncated to the second, in UTC.
const scheduledStartTime = "TemporalScheduledStartTime"

// scheduledInput is what a Schedule's action passes to each workflow it starts: the same for
// every tick of a source.
type scheduledInput struct {
	Source   string
	StartAt  time.Time // the Schedule's first time: tick 1
	Interval time.Duration
}

// scheduledTick delivers the one tick its Schedule started it for, the way our source delivers
// a tick: the first attempt as a local activity, then, after the retry delay, the regular
// activity with our retry policy. Only the scheduling differs from ours.
func scheduledTick(ctx workflow.Context, in scheduledInput) error {
	info := workflow.GetInfo(ctx)
	tick, err := tickFor(in, info.WorkflowExecution.ID, info.SearchAttributes.GetIndexedFields())
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidTick", nil)
	}
	var a *activities.Activities // names the activity; never called here
	lctx := workflow.WithLocalActivityOptions(ctx, workflows.LocalDeliveryOptions())
	err = workflow.ExecuteLocalActivity(lctx, a.Deliver, tick).Get(ctx, nil)
	if err == nil || contract.IsRejected(err) || temporal.IsCanceledError(err) {
		return err
	}
	if err := workflow.Sleep(ctx, workflows.RetryDelay(err)); err != nil {
		return err
	}
	tick.EarlierAttempts = 1
	return deliver(ctx, tick)
}

// deliver hands tick to the Deliver activity, as a regular activity with our source's options,
// and waits for its outcome.
func deliver(ctx workflow.Context, tick contract.Tick) error {
	var a *activities.Activities // names the activity; never called here
	actx := workflow.WithActivityOptions(ctx, workflows.DeliveryOptions())
	return workflow.ExecuteActivity(actx, a.Deliver, tick).Get(ctx, nil)
}

// tickFor is the tick a Schedule started workflowID for. Its time is the scheduled time, so that
// lateness is measured as for the other systems; its sequence counts intervals from the
// Schedule's first time; its id is the workflow id, which is unique per tick.
func tickFor(in scheduledInput, workflowID string, searchAttributes map[string]*commonpb.Payload) (contract.Tick, error) {
	if in.Interval <= 0 {
		return contract.Tick{}, fmt.Errorf("invalid interval %v: must be positive", in.Interval)
	}
	at, err := scheduledTime(workflowID, searchAttributes)
	if err != nil {
		return contract.Tick{}, err
	}
	since := at.Sub(in.StartAt)
	if since < 0 || since%in.Interval != 0 {
		return contract.Tick{}, fmt.Errorf("scheduled time %s is not on the schedule from %s every %v",
			at.Format(time.RFC3339Nano), in.StartAt.Format(time.RFC3339Nano), in.Interval)
	}
	base, _, _ := splitWorkflowID(workflowID)
	return contract.Tick{
		ID:         workflowID,
		Sequence:   int64(since/in.Interval) + 1,
		Time:       at,
		Type:       workflows.DefaultType,
		Source:     in.Source,
		WorkflowID: base,
	}, nil
}

// scheduledTime is the time the scheduler started workflowID for: its TemporalScheduledStartTime
// search attribute, or else the time the scheduler appends to the action's workflow id under the
// ALLOW_ALL overlap policy. Where both are there, they must agree.
func scheduledTime(workflowID string, searchAttributes map[string]*commonpb.Payload) (time.Time, error) {
	_, fromID, hasID := splitWorkflowID(workflowID)
	p, ok := searchAttributes[scheduledStartTime]
	if !ok {
		if !hasID {
			return time.Time{}, fmt.Errorf("workflow id %q has neither the search attribute %s nor a scheduled time at its end",
				workflowID, scheduledStartTime)
		}
		return fromID, nil
	}
	var at time.Time
	if err := converter.GetDefaultDataConverter().FromPayload(p, &at); err != nil {
		return time.Time{}, fmt.Errorf("decode search attribute %s: %w", scheduledStartTime, err)
	}
	if hasID && !at.Equal(fromID) {
		return time.Time{}, fmt.Errorf("search attribute %s %s disagrees with workflow id %q",
			scheduledStartTime, at.Format(time.RFC3339Nano), workflowID)
	}
	return at.UTC(), nil
}

// splitWorkflowID splits a workflow id that ends in "-" and a UTC time in RFC 3339 to the second,
// as the scheduler makes them, into the action's id and that time.
func splitWorkflowID(workflowID string) (base string, at time.Time, ok bool) {
	n := len("2006-01-02T15:04:05Z")
	i := len(workflowID) - n - 1
	if i < 0 || workflowID[i] != '-' {
		return workflowID, time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339, workflowID[i+1:])
	if err != nil || at.Location() != time.UTC {
		return workflowID, time.Time{}, false
	}
	return workflowID[:i], at, true
}

package main

// The replay scenario (issue 19): what a worker pays for a source that is not in its workflow
// cache. A fleet larger than the cache pays it at every tick: the worker replays the source's
// run from its first event. Runs continue as new after ContinueAsNewAfter ticks, so that length
// bounds the replay, at the price of a continue-as-new per that many ticks.

import (
	"context"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/workflows"
)

// replayLengths are the run lengths, in ticks, that the replay scenario measures; the last is
// the default.
func replayLengths() []int { return []int{50, 100, 250, workflows.DefaultContinueAsNewAfter} }

// replays is how many times each run is replayed; the median counts.
const replays = 7

// replayResult is the cost of replaying one whole run of a source.
type replayResult struct {
	TicksPerRun int     `json:"ticksPerRun"`
	Events      int     `json:"events"`
	ReplayMs    float64 `json:"replayMs"`
	// UsPerEvent is ReplayMs per event, in microseconds.
	UsPerEvent float64 `json:"usPerEvent"`
}

// replay runs one source per replayLengths at 100 ms on a fresh stack until its first run
// continues as new, then replays that run's history in the bench's process, replays times.
func (o *options) replay(ctx context.Context, rec *recorder) ([]replayResult, error) {
	s, err := startStack(ctx, o.binDir, rec.url, false, o.timerShift)
	if err != nil {
		return nil, err
	}
	defer s.close()
	start := time.Now().Add(3 * time.Second).Truncate(time.Second)
	runs := map[int]client.WorkflowRun{}
	for _, ticks := range replayLengths() {
		run, err := s.client.ExecuteWorkflow(ctx, workflows.StartOptions(fmt.Sprintf("bench-replay-%d", ticks), "hello-cron"),
			workflows.CronSource, workflows.Input{Config: workflows.Config{Interval: 100 * time.Millisecond, ContinueAsNewAfter: ticks, StartAt: start}})
		if err != nil {
			return nil, err
		}
		runs[ticks] = run
	}
	var out []replayResult
	for _, ticks := range replayLengths() {
		h, err := closedRun(ctx, s.client, runs[ticks], time.Duration(ticks)*200*time.Millisecond+time.Minute)
		if err != nil {
			return out, err
		}
		ms, err := replayTime(h)
		if err != nil {
			return out, err
		}
		n := len(h.GetEvents())
		out = append(out, replayResult{TicksPerRun: ticks, Events: n, ReplayMs: ms, UsPerEvent: 1000 * ms / float64(n)})
	}
	return out, nil
}

// closedRun waits up to limit for run to continue as new, and returns its whole history.
func closedRun(ctx context.Context, c client.Client, run client.WorkflowRun, limit time.Duration) (*historypb.History, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", run.GetID(), err)
		}
		if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if st != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
				return nil, fmt.Errorf("%s ended %v, not continued as new", run.GetID(), st)
			}
			break
		}
		if err := sleepUntil(ctx, time.Now().Add(time.Second)); err != nil {
			return nil, fmt.Errorf("%s did not continue as new within %v", run.GetID(), limit)
		}
	}
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// replayTime is the median time, in ms, that the SDK's replayer takes over h, which it must
// replay without a nondeterminism error.
func replayTime(h *historypb.History) (float64, error) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.CronSource)
	var took []float64
	for range replays {
		began := time.Now()
		if err := r.ReplayWorkflowHistory(quietLogger(), h); err != nil {
			return 0, fmt.Errorf("replay: %w", err)
		}
		took = append(took, ms(time.Since(began)))
	}
	slices.Sort(took)
	return took[len(took)/2], nil
}

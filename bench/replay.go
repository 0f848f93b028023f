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

// groupReplayLengths are the run lengths, in batches, of a group of groupReplayMembers that the
// replay scenario measures: a group's run must replay well within a workflow task's timeout.
func groupReplayLengths() []int { return []int{workflows.DefaultGroupContinueAsNewAfter, 50} }

// groupReplayMembers is the size of the group that the replay scenario measures: the most.
const groupReplayMembers = workflows.MaxGroupMembers

// replays is how many times each run is replayed; the median counts.
const replays = 7

// replayResult is the cost of replaying one whole run of a source.
type replayResult struct {
	// Members is the group's members, 0 for a source of its own; TicksPerRun is then the group's
	// batches per run, each one tick of every member.
	Members     int     `json:"members,omitempty"`
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
	groups := map[int]client.WorkflowRun{}
	for _, batches := range groupReplayLengths() {
		in := workflows.GroupInput{ContinueAsNewAfter: batches}
		for i := range groupReplayMembers {
			in.Members = append(in.Members, workflows.Member{ID: fmt.Sprintf("member-%d", i),
				Config: workflows.Config{Cron: "* * * * * *", StartAt: start}})
		}
		run, err := s.client.ExecuteWorkflow(ctx, workflows.GroupStartOptions(fmt.Sprintf("bench-replay-group-%d", batches), "hello-cron"),
			workflows.CronGroup, in)
		if err != nil {
			return nil, err
		}
		groups[batches] = run
	}
	var out []replayResult
	measure := func(run client.WorkflowRun, members, ticks int, limit time.Duration) error {
		h, err := closedRun(ctx, s.client, run, limit)
		if err != nil {
			return err
		}
		ms, err := replayTime(h)
		if err != nil {
			return err
		}
		n := len(h.GetEvents())
		out = append(out, replayResult{Members: members, TicksPerRun: ticks, Events: n, ReplayMs: ms, UsPerEvent: 1000 * ms / float64(n)})
		return nil
	}
	for _, ticks := range replayLengths() {
		if err := measure(runs[ticks], 0, ticks, time.Duration(ticks)*200*time.Millisecond+time.Minute); err != nil {
			return out, err
		}
	}
	for _, batches := range groupReplayLengths() {
		if err := measure(groups[batches], groupReplayMembers, batches, time.Duration(batches)*2*time.Second+time.Minute); err != nil {
			return out, err
		}
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
	r.RegisterWorkflow(workflows.CronGroup)
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

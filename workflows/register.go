package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/activities/contract"
)

// Register is the only place the worker's workflows and activities are registered: a is
// *activities.Activities, whose methods the workflow calls by their names
// (contract.DeliverActivity, contract.DeadLetterActivity).
func Register(r worker.Registry, a contract.Activities) {
	r.RegisterWorkflow(CronSource)
	r.RegisterWorkflow(CronGroup)
	r.RegisterActivity(a)
}

// TaskTimeout is how long a workflow task may take before Temporal gives it to another worker.
// A source's task takes milliseconds, and a full replay of a run well under a second, so 3 s
// (Temporal's default is 10 s) bounds how long a source waits after its worker is killed in
// the middle of one.
const TaskTimeout = 3 * time.Second

// GroupTaskTimeout is a group's TaskTimeout: a worker that does not have the group cached
// replays its run, up to DefaultGroupContinueAsNewAfter workflow tasks of up to MaxGroupMembers
// members each, which takes about a second. Temporal's default is 10 s.
const GroupTaskTimeout = 10 * time.Second

// GroupStartOptions are the options a group is started with, by the first join that finds it
// absent: a running group takes the join.
func GroupStartOptions(id, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                taskQueue,
		WorkflowTaskTimeout:      GroupTaskTimeout,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// StartOptions are the options every source is started with. A running source is never
// replaced: starting it again fails with WorkflowExecutionAlreadyStarted.
func StartOptions(id, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                taskQueue,
		WorkflowTaskTimeout:                      TaskTimeout,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

// WorkerOptions are the options of every worker that runs sources: the worker binary's and the
// benchmark's. They make a restart quick and keep ticks on time under load. On SIGTERM the
// worker stops polling, tells the server to move its sticky queue's tasks back to the shared
// queue, and lets an in-flight delivery finish and report. After kill -9, a source's next
// workflow task waits at most StickyScheduleToStartTimeout for the dead worker; a first attempt
// in flight is sent again after the workflow task timeout, a retry after the activity's
// heartbeat timeout. That timeout is 5 s, the SDK's: a task that waits longer for its worker
// goes to the shared queue, where the same worker replays the source's whole history, so when
// many sources fire at the same instant it must exceed the time their tasks wait. With 1 s,
// 1,000 sources on one cron spec replayed almost all their histories and ticked up to 23 s
// late, against 2.6 s with 5 s; with 10 s, a worker's kill -9 under 10,000 sources a minute let
// 1,670 tasks time out together and made ticks up to 41 s late, against 10 s with 5 s
// (docs/benchmarks.md, Fleets). Eight workflow task
// pollers (the SDK's default is 2) keep a poll waiting when many sources tick at once: at 200
// sources a second, p99 lateness was 47-222 ms in three of five 60 s runs against 477-1767 ms
// with 2 (docs/benchmarks.md). A slow delivery's heartbeats reach the server as they are
// recorded, every HeartbeatTimeout/3: by default the SDK batches them to one per 80% of the
// timeout, which left a delayed worker a fifth of it before Temporal retried the tick elsewhere.
func WorkerOptions() worker.Options {
	return worker.Options{
		WorkerStopTimeout:                15 * time.Second,
		StickyScheduleToStartTimeout:     5 * time.Second,
		MaxConcurrentWorkflowTaskPollers: 8,
		MaxHeartbeatThrottleInterval:     contract.HeartbeatInterval(HeartbeatTimeout),
	}
}

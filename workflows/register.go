package workflows

import (
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/activities"
)

// Register is the only place the worker's workflows and activities are registered.
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflow(CronSource)
	r.RegisterActivity(a)
}

// TaskTimeout is how long a workflow task may take before Temporal gives it to another worker.
// A source's task takes milliseconds, and a full replay of a run well under a second, so 3 s
// (Temporal's default is 10 s) bounds how long a source waits after its worker is killed in
// the middle of one.
const TaskTimeout = 3 * time.Second

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

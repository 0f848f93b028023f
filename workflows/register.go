package workflows

import (
	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/activities"
)

// Register is the only place the worker's workflows and activities are registered.
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflow(CronSource)
	r.RegisterActivity(a)
}

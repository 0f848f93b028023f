package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// The per-source metrics that the workflow records, named as Prometheus shows them, with the
// activities' label (contract.MetricTagWorkflowID) plus the SDK's workflow labels.
const (
	// MetricTicksCaughtUp counts ticks delivered late under the catch-up policy: State.CaughtUp.
	MetricTicksCaughtUp = "cronsource_ticks_caught_up_total"
	// MetricTicksSkipped counts ticks the catch-up policy, the catch-up window or a change of
	// schedule skipped: State.Skipped.
	MetricTicksSkipped = "cronsource_ticks_skipped_total"
	// MetricTicksAbandoned counts ticks a stop gave up on when its grace ended: State.Abandoned.
	MetricTicksAbandoned = "cronsource_ticks_abandoned_total"
)

// tickCounts reports the growth of the state's caught-up, skipped and abandoned counts as metrics, from
// wherever the workflow counts them. It starts from the counts a run begins with, so that those
// carried across continue-as-new are not reported twice. It goes through
// workflow.GetMetricsHandler, which records nothing while the workflow replays: a replay
// rebuilds what was reported without reporting it again.
type tickCounts struct {
	workflowID                   string // the source's, its label
	caughtUp, skipped, abandoned int64
}

func newTickCounts(workflowID string, s State) *tickCounts {
	return &tickCounts{workflowID: workflowID, caughtUp: s.CaughtUp, skipped: s.Skipped, abandoned: s.Abandoned}
}

// report records the counts that grew since the last report.
func (c *tickCounts) report(ctx workflow.Context, s State) {
	if s.CaughtUp == c.caughtUp && s.Skipped == c.skipped && s.Abandoned == c.abandoned {
		return
	}
	h := workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		contract.MetricTagWorkflowID: c.workflowID,
	})
	if n := s.CaughtUp - c.caughtUp; n > 0 {
		h.Counter(MetricTicksCaughtUp).Inc(n)
	}
	if n := s.Skipped - c.skipped; n > 0 {
		h.Counter(MetricTicksSkipped).Inc(n)
	}
	if n := s.Abandoned - c.abandoned; n > 0 {
		h.Counter(MetricTicksAbandoned).Inc(n)
	}
	c.caughtUp, c.skipped, c.abandoned = s.CaughtUp, s.Skipped, s.Abandoned
}

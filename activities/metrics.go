package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/hello-cron/cronsource/activities/contract"
)

// The per-source metrics that the activities record through the SDK's metrics handler, named
// as Prometheus shows them. Each series is labelled contract.MetricTagWorkflowID, plus the SDK's own
// activity labels (activity_type, namespace, task_queue, workflow_type).
const (
	// MetricTicksDelivered counts ticks the sink accepted (2xx).
	MetricTicksDelivered = "cronsource_ticks_delivered_total"
	// MetricTicksRetried counts delivery attempts that failed and will be retried: no answer,
	// 404, 408, 409, 429, 5xx, or another non-2xx status that is not a rejection.
	MetricTicksRetried = "cronsource_ticks_retried_total"
	// MetricTicksRejected counts ticks the sink refused for good (or that could not be built).
	MetricTicksRejected = "cronsource_ticks_rejected_total"
	// MetricTicksDeadLettered counts rejected ticks the dead-letter sink accepted.
	MetricTicksDeadLettered = "cronsource_ticks_dead_lettered_total"
	// MetricDeliveryLateness is a histogram of how long after its scheduled time each tick
	// was delivered, in seconds.
	MetricDeliveryLateness = "cronsource_delivery_lateness_seconds"
	// MetricLastDeliveredSequence is the sequence of the source's last delivered tick.
	MetricLastDeliveredSequence = "cronsource_last_delivered_sequence"
)

// The outcomes of one POST, as logged (status) and traced.
const (
	outcomeDelivered = "delivered"
	outcomeRejected  = "rejected"
	outcomeRetrying  = "retrying"
)

// recordOutcome counts one POST of tick t: for a delivery, the outcome, and for a delivered
// tick also its lateness and sequence; for a dead-letter POST, only a tick that the dead-letter
// sink accepted (its retries and refusals are logged, not counted).
func recordOutcome(ctx context.Context, deadLetter bool, outcome string, t contract.Tick, lateness time.Duration) {
	info := activity.GetInfo(ctx)
	// A local activity's handler has "none" for the activity and workflow types: set them, so
	// that the series are the same whichever attempt delivered.
	tags := map[string]string{contract.MetricTagWorkflowID: info.WorkflowExecution.ID, "activity_type": info.ActivityType.Name}
	if info.WorkflowType != nil {
		tags["workflow_type"] = info.WorkflowType.Name
	}
	h := activity.GetMetricsHandler(ctx).WithTags(tags)
	switch {
	case deadLetter:
		if outcome == outcomeDelivered {
			h.Counter(MetricTicksDeadLettered).Inc(1)
		}
	case outcome == outcomeDelivered:
		h.Counter(MetricTicksDelivered).Inc(1)
		h.Timer(MetricDeliveryLateness).Record(lateness)
		h.Gauge(MetricLastDeliveredSequence).Update(float64(t.Sequence))
	case outcome == outcomeRejected:
		h.Counter(MetricTicksRejected).Inc(1)
	default:
		h.Counter(MetricTicksRetried).Inc(1)
	}
}

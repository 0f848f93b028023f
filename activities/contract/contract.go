// Package contract is what the source workflow and its activities agree on: the Tick that the
// workflow decides and passes to Deliver and DeadLetter, the Receipt or Rejection they return,
// and the types of their errors. It holds data and pure functions only, no I/O, so that workflow
// code can use it without linking the activities' HTTP client.
package contract

import (
	"context"
	"time"
)

// Activities are the activities that the source workflow calls; package activities implements
// them. A worker registers them with their methods' names, which the workflows call them by:
// DeliverActivity, DeadLetterActivity and DeliverBatchActivity.
type Activities interface {
	// Deliver posts a tick's event to its sink once.
	Deliver(ctx context.Context, t Tick) (Receipt, error)
	// DeadLetter posts a rejected tick's event to a dead-letter sink once.
	DeadLetter(ctx context.Context, req DeadLetterRequest) (Receipt, error)
	// DeliverBatch posts the events of several sources' ticks, each once and all at the same
	// time, and returns each one's outcome, in order: a group's first attempts at one instant.
	DeliverBatch(ctx context.Context, ticks []Tick) ([]BatchOutcome, error)
}

// The activity types of Activities' methods, as Temporal registers a struct's methods: their names.
const (
	DeliverActivity      = "Deliver"
	DeadLetterActivity   = "DeadLetter"
	DeliverBatchActivity = "DeliverBatch"
)

// BatchBudget is how long DeliverBatch waits for its ticks' sinks: a tick whose sink has not
// answered by then fails with ErrSlowInBatch, so that one stalled sink delays the other ticks'
// sources by at most this. It is the worker's default HTTP timeout, and well above what a
// healthy batch takes: 10,000 ticks posted at the same minute, in batches of 500 to one sink,
// all arrived within 3 s on 2 cores.
const BatchBudget = 10 * time.Second

// HeartbeatInterval is how often a delivery heartbeats while it waits on a slow sink: a third of
// the activity's heartbeat timeout. The SDK forwards a heartbeat to the server at once only when
// its worker's MaxHeartbeatThrottleInterval is at most this; by default it forwards one per 80% of
// the heartbeat timeout, which leaves a fifth of the timeout for any delay.
func HeartbeatInterval(heartbeatTimeout time.Duration) time.Duration {
	return heartbeatTimeout / 3
}

// MetricTagWorkflowID is the label of every per-source metric series, the activities' and the
// workflow's: the source's workflow id.
const MetricTagWorkflowID = "workflow_id"

package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
)

// Input is the workflow's argument: the source's configuration and, after a continue-as-new,
// the state it carries over.
type Input struct {
	Config Config
	State  State
}

// State is everything a source carries across continue-as-new.
type State struct {
	// InstanceID is the run id of the source's first run. It makes event ids distinct from
	// those of an earlier source that had the same workflow id.
	InstanceID string
	// Anchor is the start of the schedule: tick n is due at Anchor + n × Interval.
	Anchor time.Time
	// Sequence is the last tick handled, delivered or rejected. Ticks are numbered from 1.
	Sequence  int64
	Delivered int64
	Rejected  int64
}

// AttemptTimeout bounds one delivery attempt as Temporal sees it. The worker's HTTP timeout
// must be shorter.
const AttemptTimeout = 30 * time.Second

// HeartbeatTimeout is how soon Temporal notices that a worker died during a slow delivery
// and retries it elsewhere; the delivery activity heartbeats while it waits for the sink.
const HeartbeatTimeout = 3 * time.Second

// deliveryOptions retry a delivery until it succeeds or is rejected for good, backing off
// exponentially to at most a minute, or as long as the sink's Retry-After says.
func deliveryOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: AttemptTimeout,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        0, // unlimited: a tick is never dropped because a sink was down
			NonRetryableErrorTypes: []string{activities.ErrRejected},
		},
	}
}

// CronSource emits one CloudEvent per tick on a drift-free grid, forever. Ticks are delivered
// strictly in order; ticks missed while the worker or the sink was down are delivered back to
// back until the source has caught up.
func CronSource(ctx workflow.Context, in Input) error {
	if err := in.Config.Validate(); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", nil)
	}
	s := &source{cfg: in.Config.withDefaults(), state: in.State}
	info := workflow.GetInfo(ctx)
	s.workflowID = info.WorkflowExecution.ID
	if s.state.InstanceID == "" {
		s.state.InstanceID = info.WorkflowExecution.RunID
	}
	if s.state.Anchor.IsZero() {
		s.state.Anchor = workflow.Now(ctx).Truncate(time.Millisecond)
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, s.status); err != nil {
		return fmt.Errorf("set query handler: %w", err)
	}
	logger := workflow.GetLogger(ctx)
	actx := workflow.WithActivityOptions(ctx, deliveryOptions())
	var a *activities.Activities // names the activity; never called here

	for ticks := 0; ; ticks++ {
		if ticks >= s.cfg.ContinueAsNewAfter || (ticks > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			logger.Info("continuing as new", "sequence", s.state.Sequence, "ticks", ticks)
			return workflow.NewContinueAsNewError(ctx, CronSource, Input{Config: in.Config, State: s.state})
		}
		tick := s.nextTick()
		if wait := tick.Time.Sub(workflow.Now(ctx)); wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		var receipt activities.Receipt
		err := workflow.ExecuteActivity(actx, a.Deliver, tick).Get(ctx, &receipt)
		switch {
		case err == nil:
			s.state.Delivered++
		case activities.IsRejected(err):
			s.state.Rejected++
			logger.Warn("tick rejected, going on to the next", "sequence", tick.Sequence, "id", tick.ID, "error", err)
		default:
			return err // only cancellation ends a delivery that the retry policy keeps retrying
		}
		s.state.Sequence = tick.Sequence
	}
}

// source is one run's view of the workflow: its configuration with defaults, and its state.
type source struct {
	cfg        Config
	state      State
	workflowID string
}

// nextTick is the tick after the last one handled: its identity depends only on the source
// instance and the sequence, so every retry, replay and run sends the same event.
func (s *source) nextTick() activities.Tick {
	seq := s.state.Sequence + 1
	return activities.Tick{
		ID:          EventID(s.state.InstanceID, seq),
		Sequence:    seq,
		Time:        s.scheduled(seq),
		Type:        s.cfg.Type,
		Source:      s.cfg.Source,
		WorkflowID:  s.workflowID,
		Sink:        s.cfg.Sink,
		ContentMode: s.cfg.ContentMode,
	}
}

// scheduled is the time tick seq is due.
func (s *source) scheduled(seq int64) time.Time {
	return s.state.Anchor.Add(time.Duration(seq) * s.cfg.Interval)
}

// EventID is the CloudEvent id of tick seq of a source instance.
func EventID(instanceID string, seq int64) string {
	return fmt.Sprintf("%s-%d", instanceID, seq)
}

package workflows

// A rejected tick's copy to the dead-letter sink.

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// deadLetter posts a tick to the dead-letter sink, if the source has one. While the source is
// stopping with a grace, that takes at most DeadLetterTimeout; a post that was retrying when
// the grace ended starts over with that bound.
func (s *source) deadLetter(ctx workflow.Context, tick contract.Tick, rejection contract.Rejection) error {
	if s.cfg.DeadLetterSink == "" {
		return nil
	}
	req := contract.DeadLetterRequest{Tick: tick, Sink: s.cfg.DeadLetterSink,
		Credential: s.cfg.DeadLetterSinkCredential, Rejection: rejection}
	future, cancel := s.postDeadLetter(ctx, req)
	if !s.stoppingWithGrace() {
		ready, err := s.wait(ctx, 0, future.IsReady)
		if err != nil {
			cancel()
			return err
		}
		if !ready { // the stop's grace ended: try again within DeadLetterTimeout
			cancel()
			future, cancel = s.postDeadLetter(ctx, req)
		}
	}
	err := future.Get(ctx, nil)
	cancel()
	switch {
	case err == nil:
		s.state.DeadLettered++
	case contract.IsRejected(err):
		s.logger.Error("dead-letter sink rejected the tick too", "sequence", tick.Sequence, "id", tick.ID, "error", err)
	case s.state.Stopping && !temporal.IsCanceledError(err):
		s.logger.Error("dead-letter sink did not take the tick before the stop", "sequence", tick.Sequence, "id", tick.ID, "error", err)
	default:
		return err // cancellation, as for deliveries
	}
	return nil
}

// postDeadLetter starts the DeadLetter activity, retried until it succeeds or, while the
// source is stopping with a grace, for at most DeadLetterTimeout. cancel cancels it.
func (s *source) postDeadLetter(ctx workflow.Context, req contract.DeadLetterRequest) (workflow.Future, workflow.CancelFunc) {
	opts := DeliveryOptions()
	if s.stoppingWithGrace() {
		opts.ScheduleToCloseTimeout = DeadLetterTimeout
	}
	ctx, cancel := workflow.WithCancel(ctx)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), contract.DeadLetterActivity, req), cancel
}

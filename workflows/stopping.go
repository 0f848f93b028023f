package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// DefaultStopGrace is how long a stop waits for the tick in flight, unless it says otherwise.
const DefaultStopGrace = time.Minute

// DeadLetterTimeout bounds the posting of a tick to the dead-letter sink, retries included,
// once the source is stopping: a stop ends within its grace plus this.
const DeadLetterTimeout = 30 * time.Second

// finishing: the source is to complete now, since it has ended or is stopping with nothing
// left to send. A stop with a grace first lets the tick in flight be sent, unless the source
// is paused or the grace is over; a stop without (recorded before stopGraceChange) does not.
func (s *source) finishing(ctx workflow.Context) bool {
	if !s.state.Stopping {
		return s.ended()
	}
	return s.state.InFlight == nil || s.state.StopBy.IsZero() || s.state.Paused || s.stopExpired(ctx)
}

// stopExpired: the source is stopping and the stop's grace is over.
func (s *source) stopExpired(ctx workflow.Context) bool {
	return s.stoppingWithGrace() && !workflow.Now(ctx).Before(s.state.StopBy)
}

// finish completes the source once the updates being handled are done. A stop with a grace
// first abandons the tick in flight, if any. It reports false when a resume took the stop
// back meanwhile.
func (s *source) finish(ctx workflow.Context) (bool, error) {
	if f := s.state.InFlight; f != nil && s.stoppingWithGrace() {
		if err := s.abandon(ctx, f); err != nil {
			return false, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return false, err
	}
	if !s.state.Stopping && !s.ended() {
		return false, nil
	}
	s.logger.Info("source finished", "sequence", s.state.Sequence, "stopped", s.state.Stopping)
	s.finished = true
	s.showDetails(ctx)
	return true, nil
}

// abandon gives up on f for a stop: it counts and logs it, posts it to the dead-letter sink if
// the source has one, and moves the source past it. f keeps its sequence number, so that no
// other tick ever has its id.
func (s *source) abandon(ctx workflow.Context, f *InFlight) error {
	s.state.Abandoned++
	s.logger.Warn("tick abandoned: the source stopped before the sink took it", "sequence", f.Tick.Sequence,
		"id", f.Tick.ID, "sink", sinkref.Redact(f.Tick.Sink), "deadLetterSink", sinkref.Redact(s.cfg.DeadLetterSink))
	s.remember(workflow.Now(ctx), f, OutcomeAbandoned, 0, "abandoned: the source was stopped before the sink took the tick")
	if err := s.deadLetter(ctx, f.Tick, contract.Rejection{Sink: f.Tick.Sink,
		Reason: "abandoned: the source was stopped before the sink took the tick"}); err != nil {
		return err
	}
	s.complete(f)
	return nil
}

// stoppingWithGrace: a stop with a grace is under way, so the source completes by a time.
func (s *source) stoppingWithGrace() bool { return s.state.Stopping && !s.state.StopBy.IsZero() }

package workflows

// What the source does with a tick that failed for good: rejected by its sink, or undeliverable
// once its delivery policy is spent; and the pause on failure that counts them.

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// giveUp ends f's delivery as undeliverable, its delivery policy spent: it counts and logs it,
// posts it to the dead-letter sink if the source has one, and moves the source past it.
func (s *source) giveUp(ctx workflow.Context, f *InFlight, why error) error {
	s.state.Undeliverable++
	sink := sinkref.WithoutUserinfo(f.Tick.Sink)
	s.state.LastUndeliverable = &RejectionStatus{Sequence: f.Tick.Sequence, ID: f.Tick.ID, Sink: sink, Reason: why.Error()}
	s.logger.Warn("tick undeliverable, going on to the next", "sequence", f.Tick.Sequence, "id", f.Tick.ID, "error", why)
	var u errUndeliverable
	errors.As(why, &u)
	s.remember(workflow.Now(ctx), f, OutcomeUndeliverable, u.attempts, why.Error())
	if err := s.deadLetter(ctx, f.Tick, contract.Rejection{Sink: sink, Reason: why.Error()}); err != nil {
		return err
	}
	if err := s.failed(ctx, f, why.Error()); err != nil {
		return err
	}
	s.complete(f)
	return nil
}

// failed counts f, rejected or undeliverable, among the failures in a row, and pauses the source
// once they reach its PauseOnFailure: with the reason in its status, its search attributes and
// the log. A resume starts the count again.
func (s *source) failed(ctx workflow.Context, f *InFlight, why string) error {
	s.state.FailuresInARow++
	n := s.cfg.PauseOnFailure
	if n == 0 || s.state.FailuresInARow < int64(n) || s.state.Stopping ||
		workflow.GetVersion(ctx, pauseOnFailureChange, workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	s.state.Paused = true
	s.state.PauseReason = fmt.Sprintf("paused on failure: %d ticks in a row rejected or undeliverable (--pause-on-failure %d); "+
		"the last, tick %d: %s", s.state.FailuresInARow, n, f.Tick.Sequence, why)
	s.logger.Warn("source paused on failure", "failuresInARow", s.state.FailuresInARow, "sequence", f.Tick.Sequence,
		"id", f.Tick.ID, "reason", s.state.PauseReason)
	if err := s.syncSearchAttributes(ctx); err != nil {
		return fmt.Errorf("upsert search attributes: %w", err)
	}
	return nil
}

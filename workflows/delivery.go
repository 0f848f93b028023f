package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// deliver sends f until the sink takes it or rejects it for good, unless a pause or a new
// sink interrupts the retries: then f stays in flight and is sent again next. A stop whose
// grace ends first abandons f. It reports whether f was handled: delivered, rejected or
// abandoned.
func (s *source) deliver(ctx workflow.Context, f *InFlight) (bool, error) {
	s.state.InFlight = f
	if f.FirstAttempt.IsZero() {
		f.FirstAttempt = workflow.Now(ctx)
	}
	s.redirect = false
	sendCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	receipt, ended, err := s.send(sendCtx, f.Tick)
	switch ended {
	case interrupted:
		cancel()
		s.logger.Info("delivery interrupted; the tick will be sent again", "sequence", f.Tick.Sequence,
			"id", f.Tick.ID, "paused", s.state.Paused)
		return false, nil
	case outOfTime:
		cancel()
		return true, s.abandon(ctx, f)
	case exhausted:
		cancel()
		return true, s.giveUp(ctx, f, err)
	}
	switch {
	case err == nil:
		s.state.Delivered++
		s.state.FailuresInARow = 0
		s.state.Retried += int64(max(receipt.Attempt-1, 0))
		s.remember(workflow.Now(ctx), f, OutcomeDelivered, receipt.Attempt, f.FirstError)
	case contract.IsRejected(err):
		s.state.Rejected++
		rejection, _ := contract.RejectionOf(err)
		s.state.LastRejection = &RejectionStatus{Sequence: f.Tick.Sequence, ID: f.Tick.ID,
			Sink: sinkref.WithoutUserinfo(rejection.Sink), StatusCode: rejection.StatusCode, Reason: rejection.Reason}
		s.state.Retried += int64(max(rejection.Attempt-1, 0))
		s.remember(workflow.Now(ctx), f, OutcomeRejected, rejection.Attempt, lastError(err))
		s.logger.Warn("tick rejected, going on to the next", "sequence", f.Tick.Sequence, "id", f.Tick.ID, "error", err)
		if err := s.deadLetter(ctx, f.Tick, rejection); err != nil {
			return false, err
		}
		if err := s.failed(ctx, f, "rejected: "+lastError(err)); err != nil {
			return false, err
		}
	default:
		return false, err // only cancellation ends a delivery that the retry policy keeps retrying
	}
	s.complete(f)
	return true, nil
}

// complete moves the source past f: its sequence and cursor, or for a backfill's tick the
// backfill's.
func (s *source) complete(f *InFlight) {
	s.state.InFlight = nil
	if f.Backfill {
		if len(s.state.Backfills) > 0 {
			b := &s.state.Backfills[0]
			b.Cursor = f.Tick.Time
			b.Sent++
		}
		return
	}
	s.state.Sequence = f.Tick.Sequence
	if f.Slot && (!s.localFirst || f.Tick.Time.After(s.state.Cursor)) {
		s.state.Cursor = f.Tick.Time
	}
}

// sendEnd is how a send ended, besides the activity's own result.
type sendEnd int

const (
	answered    sendEnd = iota // the activity's result or error says how
	interrupted                // by a pause or a new sink: the tick is sent again later
	outOfTime                  // a stop's grace ended first: the tick is abandoned
	exhausted                  // the delivery policy's retries or maximum age ran out: the error says which
)

// send delivers tick and returns the first attempt's answer that is not a retry, or reports
// that a redirect or the end of a stop's grace interrupted it. The first attempt is a local
// activity: on the happy path a tick then costs its timer, one workflow task and one marker
// in the history. A retryable failure hands the tick, after the retry delay, to the regular
// activity, whose retries Temporal schedules and shows as a pending activity.
func (s *source) send(ctx workflow.Context, tick contract.Tick) (receipt contract.Receipt, ended sendEnd, err error) {
	policy := s.policy(ctx)
	var deadline time.Time // of the policy's maximum age
	if policy != nil {
		tick.Delivery = policy.attempts()
		if policy.MaxAge > 0 {
			deadline = tick.Time.Add(policy.MaxAge)
		}
		if !deadline.IsZero() && !workflow.Now(ctx).Before(deadline) {
			return receipt, exhausted, errUndeliverable{reason: fmt.Sprintf("undeliverable: older than its --max-age %v before an attempt", policy.MaxAge)}
		}
	}
	if s.firstAttemptApart(ctx) {
		alone, start := s.alone, workflow.Now(ctx)
		ended, err = s.await(ctx, s.firstAttempt(ctx, tick), &receipt)
		if ended == answered && s.group != nil {
			s.judgeSink(alone, workflow.Now(ctx).Sub(start), err)
		}
		if ended != answered || err == nil || contract.IsRejected(err) || temporal.IsCanceledError(err) {
			return receipt, ended, err
		}
		if f := s.state.InFlight; f != nil && f.FirstError == "" {
			f.FirstError = clip(lastError(err), maxRecentError)
		}
		if why := policy.spentAfterFirst(err, workflow.Now(ctx).Add(RetryDelay(err)), deadline); why != nil {
			return receipt, exhausted, why
		}
		s.showDetails(ctx) // the tick in flight, while it waits for its retries
		waited, werr := s.wait(ctx, RetryDelay(err), s.interrupted)
		switch {
		case werr != nil:
			return receipt, answered, werr
		case waited:
			return receipt, interrupted, nil
		case s.stopExpired(ctx):
			return receipt, outOfTime, nil
		}
		tick.EarlierAttempts = 1
	}
	opts := DeliveryOptions()
	if policy != nil {
		if policy.Retry != nil {
			opts.RetryPolicy.MaximumAttempts = *policy.Retry + 1 - tick.EarlierAttempts
		}
		if !deadline.IsZero() {
			opts.ScheduleToCloseTimeout = deadline.Sub(workflow.Now(ctx))
		}
	}
	actx := workflow.WithActivityOptions(ctx, opts)
	ended, err = s.await(ctx, workflow.ExecuteActivity(actx, contract.DeliverActivity, tick), &receipt)
	if why, ok := spent(err, policy, workflow.Now(ctx), deadline); ok && ended == answered {
		return receipt, exhausted, why
	}
	return receipt, ended, err
}

// firstAttemptApart: the tick's first attempt may be made apart from the retries, as a local
// activity, which the worker runs before the workflow task that decided it is recorded (or, for
// a group's member whose sink is too slow for a batch, a regular activity of one attempt).
// Not in a task that handled an update
// (in runs with hardenedChange): an update reaches the worker in a workflow task that the
// server may drop, when an event such as a timer's came in meanwhile, and the task that
// replaces it sees that event first and may give the tick's sequence number to another tick;
// the first attempt had then sent an id with the wrong event. A regular activity runs only once
// the decision is recorded.
func (s *source) firstAttemptApart(ctx workflow.Context) bool {
	updatedAt := s.updatedAt
	if s.group != nil {
		updatedAt = s.group.updatedAt // an update of any member
	}
	return s.localFirst && !(s.hardened && updatedAt.Equal(workflow.Now(ctx)))
}

// firstAttempt starts a tick's first attempt, a local activity: the source's own, or its
// group's batch of the ticks due at the same time; for a member sent alone, a regular activity.
func (s *source) firstAttempt(ctx workflow.Context, tick contract.Tick) workflow.Future {
	switch {
	case s.group != nil && s.alone:
		return s.group.batches.alone(ctx, tick)
	case s.group != nil:
		return s.group.batches.add(ctx, tick)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, LocalDeliveryOptions())
	return workflow.ExecuteLocalActivity(lctx, contract.DeliverActivity, tick)
}

// interrupted: a delivery stops retrying and the tick is sent again later, since the sink
// changed, the source was paused, or its group is continuing as new.
func (s *source) interrupted() bool { return s.redirect || (s.group != nil && s.group.draining) }

// draining: the source's group is continuing as new, so the source stops at its next turn. A
// member sent alone stops as soon as the group is due to, so that it starts no attempt that the
// group would wait for.
func (s *source) draining() bool {
	return s.group != nil && (s.group.draining || s.alone && s.group.closing)
}

// awaitFor waits until done holds or d has passed: on a timer of the source's own, or on its
// group's clock.
func (s *source) awaitFor(ctx workflow.Context, d time.Duration, done func() bool) error {
	if s.group != nil {
		return s.group.clock.await(ctx, workflow.Now(ctx).Add(d), done)
	}
	_, err := workflow.AwaitWithTimeout(ctx, d, done)
	return err
}

// await waits for an activity's result, unless a redirect, the group's continue-as-new or the
// end of a stop's grace comes first.
func (s *source) await(ctx workflow.Context, future workflow.Future, result any) (sendEnd, error) {
	ready, err := s.wait(ctx, 0, func() bool { return future.IsReady() || s.interrupted() })
	switch {
	case err != nil:
		return answered, err
	case !ready:
		return outOfTime, nil
	case !future.IsReady():
		return interrupted, nil
	}
	return answered, future.Get(ctx, result)
}

// wait waits until done holds, for at most d if d > 0, and, while the source is stopping with
// a grace, no longer than the grace. It reports whether done held; if not, the time ran out.
// A stop or resume that moves the grace's end wakes it to wait again to the new end.
func (s *source) wait(ctx workflow.Context, d time.Duration, done func() bool) (bool, error) {
	var until time.Time
	if d > 0 {
		until = workflow.Now(ctx).Add(d)
	}
	for {
		limit := until
		if by := s.state.StopBy; s.stoppingWithGrace() && (limit.IsZero() || by.Before(limit)) {
			limit = by
		}
		s.stopMoved = false
		cond := func() bool { return done() || s.stopMoved }
		if limit.IsZero() {
			if err := workflow.Await(ctx, cond); err != nil {
				return false, err
			}
		} else if left := limit.Sub(workflow.Now(ctx)); left > 0 {
			if err := s.awaitFor(ctx, left, cond); err != nil {
				return false, err
			}
		}
		if done() {
			return true, nil
		}
		if !s.stopMoved {
			return false, nil
		}
	}
}

// RetryDelay is how long to wait after a failed first attempt: as long as the sink's
// Retry-After asked, or the retry policy's first interval.
func RetryDelay(err error) time.Duration {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NextRetryDelay() > 0 {
		return appErr.NextRetryDelay()
	}
	return DeliveryOptions().RetryPolicy.InitialInterval
}

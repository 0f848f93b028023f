package workflows

// The next tick: the one in flight or triggered, or the next scheduled time once it is due, and
// the catch-up policy for the times that were missed.

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// CatchupPolicy says which ticks a source delivers once it is behind: after the worker or the
// sink was down, or while it was paused.
type CatchupPolicy string

// The catch-up policies.
const (
	// CatchupAll delivers every missed tick, in order, back to back.
	CatchupAll CatchupPolicy = "all"
	// CatchupLatest delivers only the most recent missed tick.
	CatchupLatest CatchupPolicy = "latest"
	// CatchupSkip delivers none of them: only ticks that are on time.
	CatchupSkip CatchupPolicy = "skip"
)

// Validate accepts the policies, and empty for all.
func (p CatchupPolicy) Validate() error {
	switch p {
	case "", CatchupAll, CatchupLatest, CatchupSkip:
		return nil
	}
	return fmt.Errorf("must be all, latest or skip")
}

// missed: the tick due at slot came due while the source was paused, is late by more than
// OnTime, or a later tick is due too.
func (s *source) missed(slot, now time.Time) bool {
	return !slot.After(s.state.ResumedAt) || now.Sub(slot) > OnTime || !s.sched.next(slot).After(now)
}

// skipMissed moves the cursor past the due ticks that the catch-up policy does not deliver,
// counting and logging them. It reports whether it skipped any.
func (s *source) skipMissed(now time.Time) bool {
	var n int64
	before := s.state.Cursor
	first := s.sched.next(s.state.Cursor)
	for slot := first; !slot.After(now) && s.skippable(slot, now); slot = s.sched.next(slot) {
		if !s.cfg.EndAt.IsZero() && slot.After(s.cfg.EndAt) {
			break
		}
		s.state.Cursor = slot
		n++
	}
	if n == 0 {
		return false
	}
	s.state.Skipped += n
	s.addGap(before, s.state.Cursor)
	s.logger.Info("skipped missed ticks", "count", n, "from", first, "to", s.state.Cursor,
		"catchup", s.cfg.Catchup, "catchupWindow", s.cfg.CatchupWindow)
	return true
}

func (s *source) skippable(slot, now time.Time) bool {
	if s.cfg.CatchupWindow > 0 && now.Sub(slot) > s.cfg.CatchupWindow {
		return true
	}
	switch s.cfg.Catchup {
	case CatchupLatest:
		return !s.sched.next(slot).After(now)
	case CatchupSkip:
		return s.missed(slot, now)
	}
	return false
}

// nextTick waits until the next tick is due and returns it. It returns nil to make the main
// loop look again in two cases, each one named call: an update woke it while it slept, or the
// missed ticks were skipped.
func (s *source) nextTick(ctx workflow.Context) (*InFlight, error) {
	if f := s.pendingTick(); f != nil {
		return f, nil
	}
	slot := s.sched.next(s.state.Cursor)
	if woken, err := s.sleepUntilDue(ctx, slot); woken || err != nil {
		return nil, err
	}
	return s.slotTick(slot, workflow.Now(ctx)), nil
}

// pendingTick is a tick that is due without waiting: the tick in flight, sent again, or the
// first trigger waiting; nil if there is none.
func (s *source) pendingTick() *InFlight {
	if f := s.state.InFlight; f != nil {
		// The only change that applies to a tick already sent.
		f.Tick.Sink, f.Tick.SinkCredential = s.cfg.Sink, s.cfg.SinkCredential
		return f
	}
	if len(s.state.Triggers) > 0 {
		at := s.state.Triggers[0]
		s.state.Triggers = s.state.Triggers[1:]
		return &InFlight{Tick: s.tick(at)}
	}
	return s.backfillTick()
}

// sleepUntilDue sleeps until slot, plus its jitter, unless an update or its group's continue-as-new
// wakes it first: it then reports woken.
func (s *source) sleepUntilDue(ctx workflow.Context, slot time.Time) (woken bool, err error) {
	wait := slot.Add(jitter(s.state.InstanceID, slot, s.cfg.Jitter)).Sub(workflow.Now(ctx))
	if wait <= 0 {
		return false, nil
	}
	s.woken = false
	if err := s.awaitFor(ctx, wait, func() bool { return s.woken || s.draining() }); err != nil {
		return false, err
	}
	return s.woken || s.draining(), nil
}

// slotTick is the tick of the scheduled time slot, due at now, or nil if the catch-up policy
// skipped the missed ticks, slot among them.
func (s *source) slotTick(slot, now time.Time) *InFlight {
	if s.skipMissed(now) {
		return nil
	}
	if s.missed(slot, now) {
		s.state.CaughtUp++
	}
	return &InFlight{Tick: s.tick(slot), Slot: true}
}

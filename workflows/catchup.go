package workflows

import "time"

// missed: the tick due at slot came due while the source was paused, is late by more than
// OnTime, or a later tick is due too.
func (s *source) missed(slot, now time.Time) bool {
	return !slot.After(s.state.ResumedAt) || now.Sub(slot) > OnTime || !s.sched.next(slot).After(now)
}

// skipMissed moves the cursor past the due ticks that the catch-up policy does not deliver,
// counting and logging them. It reports whether it skipped any.
func (s *source) skipMissed(now time.Time) bool {
	var n int64
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

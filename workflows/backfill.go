package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Backfill: the scheduled times in a range that the source never sent, those before its start
// and those it skipped (catch-up, a change of schedule), sent in time order before the live
// schedule goes on. They take no sequence number: the live sequence stays 1, 2, 3, … and each
// backfilled event is the same whenever it is asked for again: its id comes from its scheduled
// time, its sequence extension is 0, and it carries the extension backfill=true.

// UpdateBackfill is the update that asks for a backfill (BackfillRequest).
const UpdateBackfill = "backfill"

// Bounds of backfills: ticks per request, requests waiting, skipped stretches remembered.
const (
	MaxBackfillTicks    = 10000
	MaxPendingBackfills = 10
	maxGaps             = 100
)

// BackfillRequest asks for the never-sent scheduled times from From to To, both included.
type BackfillRequest struct {
	From, To time.Time
}

// Backfill is a backfill under way: the times after Cursor are still to be sent.
type Backfill struct {
	From, To time.Time
	Cursor   time.Time
	Sent     int64
	Total    int64
}

// Gap is a stretch of scheduled times the source skipped: those after After up to Through.
type Gap struct {
	After, Through time.Time
}

// BackfillStatus is a backfill's progress, as describe shows it.
type BackfillStatus struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Sent  int64     `json:"sent"`
	Total int64     `json:"total"`
}

// windows are the stretches, as gaps, in which scheduled times were never sent: before the
// source's start, and each one it skipped.
func (s *source) windows() []Gap {
	return append([]Gap{{After: earliest(), Through: s.state.Origin}}, s.state.Gaps...)
}

// nextNeverSent is the first never-sent scheduled time after t up to to; zero if none. It looks
// only inside windows (s.windows()), so that a wide range with a short interval costs what it sends.
func (s *source) nextNeverSent(windows []Gap, t, to time.Time) time.Time {
	var best time.Time
	for _, w := range windows {
		from := t
		if w.After.After(from) {
			from = w.After
		}
		n := s.sched.next(from)
		if n.IsZero() || n.After(w.Through) || n.After(to) {
			continue
		}
		if best.IsZero() || n.Before(best) {
			best = n
		}
	}
	return best
}

// validateBackfill refuses a backfill the source cannot do.
func (s *source) validateBackfill(ctx workflow.Context, r BackfillRequest) error {
	switch {
	case s.state.Stopping:
		return errStopping
	case s.state.Origin.IsZero():
		return refusal("the source was started before backfill existed and does not know which times it never sent")
	case r.From.IsZero() || r.To.IsZero() || r.To.Before(r.From):
		return &FieldError{"to", r.To.Format(time.RFC3339), "must be a time from --from on"}
	case r.From.Before(earliest()) || !r.To.Before(latest()):
		return &FieldError{"from", r.From.Format(time.RFC3339), fmt.Sprintf("must be from %s to before %s",
			earliest().Format(time.RFC3339), latest().Format(time.RFC3339))}
	case r.To.After(workflow.Now(ctx)):
		return &FieldError{"to", r.To.Format(time.RFC3339), "is in the future: a backfill sends times that have passed"}
	case len(s.state.Backfills) >= MaxPendingBackfills:
		return fmt.Errorf("%d backfills are already waiting", MaxPendingBackfills)
	}
	if n := s.countNeverSent(r); n > MaxBackfillTicks {
		return fmt.Errorf("more than %d never-sent times from %s to %s: split the range", MaxBackfillTicks,
			r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	}
	return nil
}

// countNeverSent counts the never-sent times of r, stopping past MaxBackfillTicks.
func (s *source) countNeverSent(r BackfillRequest) int64 {
	var n int64
	windows := s.windows()
	for t := s.nextNeverSent(windows, r.From.Add(-time.Nanosecond), r.To); !t.IsZero() && n <= MaxBackfillTicks; t = s.nextNeverSent(windows, t, r.To) {
		n++
	}
	return n
}

// backfill queues a backfill; the main loop sends its ticks before the next scheduled one.
func (s *source) backfill(ctx workflow.Context, r BackfillRequest) (Status, error) {
	total := s.countNeverSent(r)
	s.state.Backfills = append(s.state.Backfills, Backfill{From: r.From, To: r.To, Cursor: r.From.Add(-time.Nanosecond), Total: total})
	s.logger.Info("backfill queued", "from", r.From, "to", r.To, "ticks", total)
	s.woken = true
	return s.changed(ctx)
}

// backfillTick is the next tick of the first backfill waiting, nil if none; a backfill with no
// time left is done.
func (s *source) backfillTick() *InFlight {
	for len(s.state.Backfills) > 0 {
		b := &s.state.Backfills[0]
		if t := s.nextNeverSent(s.windows(), b.Cursor, b.To); !t.IsZero() {
			tick := s.tick(t)
			tick.ID, tick.Sequence, tick.Backfill = fmt.Sprintf("%s-backfill-%d", s.state.InstanceID, t.UnixNano()), 0, true
			return &InFlight{Tick: tick, Backfill: true}
		}
		s.logger.Info("backfill done", "from", b.From, "to", b.To, "sent", b.Sent)
		s.state.Backfills = s.state.Backfills[1:]
	}
	return nil
}

// addGap remembers a stretch the source skipped, the oldest forgotten beyond maxGaps.
func (s *source) addGap(after, through time.Time) {
	if !through.After(after) {
		return
	}
	s.state.Gaps = append(s.state.Gaps, Gap{After: after, Through: through})
	if n := len(s.state.Gaps); n > maxGaps {
		s.state.Gaps = append([]Gap(nil), s.state.Gaps[n-maxGaps:]...)
	}
}

func (s *source) backfillStatus() []BackfillStatus {
	out := []BackfillStatus{}
	for _, b := range s.state.Backfills {
		out = append(out, BackfillStatus{From: b.From, To: b.To, Sent: b.Sent, Total: b.Total})
	}
	return out
}

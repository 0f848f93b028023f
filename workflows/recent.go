package workflows

import (
	"time"
)

// RecentTicks is how many of its last ticks a source keeps for describe.
const RecentTicks = 10

// maxRecentError bounds a recent tick's error: the list travels in every continue-as-new.
const maxRecentError = 300

// The outcomes of a tick.
const (
	OutcomeDelivered     = "delivered"
	OutcomeRejected      = "rejected"
	OutcomeUndeliverable = "undeliverable"
	OutcomeAbandoned     = "abandoned"
)

// TickRecord is one tick the source has handled, as describe shows it: when its delivery began
// and when its outcome was recorded, on the workflow's clock.
type TickRecord struct {
	Sequence     int64     `json:"sequence"`
	ID           string    `json:"id"`
	Time         time.Time `json:"time"` // scheduled
	FirstAttempt time.Time `json:"firstAttempt"`
	LastAttempt  time.Time `json:"lastAttempt"`
	// Attempts is how many attempts were made; 0 where the source cannot know (a tick given up
	// at its maximum age).
	Attempts int32  `json:"attempts,omitempty"`
	Outcome  string `json:"outcome"`
	// LastError is the error that ended the tick (rejected, undeliverable, abandoned) or, for a
	// tick delivered after a failed first attempt, that attempt's; sinks in it have no user or
	// password (the activities take them out).
	LastError string `json:"lastError,omitempty"`
}

// remember adds f's outcome to the recent ticks, dropping the oldest beyond RecentTicks.
func (s *source) remember(now time.Time, f *InFlight, outcome string, attempts int32, lastErr string) {
	first := f.FirstAttempt
	if first.IsZero() {
		first = now
	}
	r := TickRecord{Sequence: f.Tick.Sequence, ID: f.Tick.ID, Time: f.Tick.Time, FirstAttempt: first, LastAttempt: now,
		Attempts: attempts, Outcome: outcome, LastError: clip(lastErr, maxRecentError)}
	s.state.Recent = append(s.state.Recent, r)
	if n := len(s.state.Recent); n > RecentTicks {
		s.state.Recent = append([]TickRecord(nil), s.state.Recent[n-RecentTicks:]...)
	}
}

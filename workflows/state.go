package workflows

import (
	"time"

	"github.com/hello-cron/cronsource/activities/contract"
)

// State is everything a source carries across continue-as-new.
type State struct {
	// InstanceID is the run id of the source's first run: the execution's first run id, which
	// a reset keeps (sources recorded before hardenedChange took their own run id, which a
	// reset changes). It makes event ids distinct from those of an earlier source that had the
	// same workflow id.
	InstanceID string
	// Anchor is the start of an interval schedule: tick n is due at Anchor + n × Interval,
	// until a change of schedule moves it.
	Anchor time.Time
	// Cursor: every scheduled time up to and including it was delivered, rejected or skipped.
	// Zero in state carried by the first version, which only had Anchor and Sequence.
	Cursor time.Time
	// Sequence is the last tick sent, delivered or rejected. Ticks are numbered from 1; skipped
	// times get no number.
	Sequence int64
	// InFlight is a tick that was sent and not yet delivered or rejected, kept across a pause
	// or a change of sink so that it is sent again with the same id and sequence.
	InFlight *InFlight `json:",omitempty"`
	// Triggers are the times of extra ticks asked for and not yet sent.
	Triggers    []time.Time `json:",omitempty"`
	Paused      bool        `json:",omitempty"`
	PauseReason string      `json:",omitempty"`
	// ResumedAt is when the source was last resumed: ticks due by then were missed.
	ResumedAt time.Time `json:",omitempty"`
	Stopping  bool      `json:",omitempty"`
	// StopBy is when a stop's grace ends: the tick in flight is then abandoned. Zero for a
	// stop handled before stopGraceChange, which waits for the tick however long it takes.
	StopBy time.Time `json:",omitempty"`

	Delivered    int64
	Rejected     int64
	Retried      int64 `json:",omitempty"`
	DeadLettered int64 `json:",omitempty"`
	CaughtUp     int64 `json:",omitempty"`
	Skipped      int64 `json:",omitempty"`
	// LastRejection is the last tick that its sink refused for good.
	LastRejection *RejectionStatus `json:",omitempty"`
	// Abandoned counts the ticks a stop gave up on: in flight when its grace ended, and not
	// delivered (those dead-lettered are counted in DeadLettered too).
	Abandoned int64 `json:",omitempty"`
	// Undeliverable counts the ticks whose delivery policy ran out (those dead-lettered are
	// counted in DeadLettered too); LastUndeliverable is the last of them.
	Undeliverable     int64            `json:",omitempty"`
	LastUndeliverable *RejectionStatus `json:",omitempty"`
	// FailuresInARow counts the ticks rejected or undeliverable since the last one delivered or
	// the last resume, for Config.PauseOnFailure.
	FailuresInARow int64 `json:",omitempty"`
	// Recent are the last RecentTicks ticks handled, oldest first.
	Recent []TickRecord `json:",omitempty"`
	// Origin is the cursor the source started with: no scheduled time up to it was ever sent.
	// Zero for sources started before backfill existed. Gaps are the stretches it skipped since,
	// the last maxGaps; Backfills the backfills waiting, the first under way.
	Origin    time.Time  `json:",omitempty"`
	Gaps      []Gap      `json:",omitempty"`
	Backfills []Backfill `json:",omitempty"`
}

// DefaultStartPausedReason is the pause reason of a source started paused without one.
const DefaultStartPausedReason = "started paused"

// PausedAtStart is the state of a source that starts paused, for its first run's input: it
// sends no tick until it is resumed, and the ticks due meanwhile follow its catch-up policy, as
// after any pause. An empty reason is DefaultStartPausedReason.
func PausedAtStart(reason string) State {
	if reason == "" {
		reason = DefaultStartPausedReason
	}
	return State{Paused: true, PauseReason: reason}
}

// InFlight is a tick being delivered. Slot says it is a scheduled time, not a trigger.
type InFlight struct {
	Tick contract.Tick
	Slot bool
	// FirstAttempt is when its delivery first began; FirstError the error of its first attempt,
	// if that failed and the workflow saw it (a local activity).
	FirstAttempt time.Time `json:",omitempty"`
	FirstError   string    `json:",omitempty"`
	// Backfill: a backfill's tick, which takes no sequence number and moves no cursor but the
	// backfill's.
	Backfill bool `json:",omitempty"`
}

package workflows

import (
	"maps"
	"time"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// QueryStatus is the name of the query that returns a source's Status.
const QueryStatus = "status"

// NextFireTimes is how many upcoming fire times a Status lists.
const NextFireTimes = 5

// Status is a source's configuration and progress, as `starter describe` shows it.
type Status struct {
	WorkflowID  string `json:"workflowId"`
	Paused      bool   `json:"paused"`
	PauseReason string `json:"pauseReason,omitempty"`
	Stopping    bool   `json:"stopping"`
	// StopBy is when the stop's grace ends: the tick in flight is then abandoned.
	StopBy *time.Time `json:"stopBy,omitempty"`
	// Finished: the workflow has ended, stopped (Stopping) or past its last tick.
	Finished bool `json:"finished"`

	Interval      string     `json:"interval,omitempty"`
	Cron          string     `json:"cron,omitempty"`
	ExtraCron     []string   `json:"extraCron,omitempty"`
	SkipCron      []string   `json:"skipCron,omitempty"`
	Timezone      string     `json:"timezone,omitempty"`
	Jitter        string     `json:"jitter,omitempty"`
	StartAt       *time.Time `json:"startAt,omitempty"`
	EndAt         *time.Time `json:"endAt,omitempty"`
	MaxTicks      int64      `json:"maxTicks,omitempty"`
	Catchup       string     `json:"catchup"`
	CatchupWindow string     `json:"catchupWindow,omitempty"`

	Type   string `json:"type"`
	Source string `json:"source"`
	// Subject and Extensions are the events' own subject and extension attributes.
	Subject    string            `json:"subject,omitempty"`
	Extensions map[string]string `json:"extensions,omitempty"`
	// Sink and DeadLetterSink have any password in them masked.
	Sink           string `json:"sink"` // empty: the worker's sink
	DeadLetterSink string `json:"deadLetterSink,omitempty"`
	// SinkCredential and DeadLetterSinkCredential name the worker's credentials for them.
	SinkCredential           string `json:"sinkCredential,omitempty"`
	DeadLetterSinkCredential string `json:"deadLetterSinkCredential,omitempty"`
	ContentMode              string `json:"contentMode"`
	DataContentType          string `json:"dataContentType,omitempty"`

	Anchor time.Time `json:"anchor"`
	// Sequence is the last tick delivered or rejected.
	Sequence int64 `json:"sequence"`
	// LastScheduledTime is the latest scheduled time delivered, rejected or skipped.
	LastScheduledTime time.Time `json:"lastScheduledTime"`
	// NextFireTime is nil once the source is stopping or has ended; NextFireTimes lists the next few.
	NextFireTime    *time.Time  `json:"nextFireTime"`
	NextFireTimes   []time.Time `json:"nextFireTimes"`
	PendingTriggers int         `json:"pendingTriggers"`
	// InFlight is the tick being sent, if one is: being retried, or waiting for a resume.
	InFlight *TickStatus `json:"inFlight,omitempty"`
	// LastRejection is the last tick that its sink refused for good, and why.
	LastRejection *RejectionStatus `json:"lastRejection,omitempty"`

	Delivered    int64 `json:"delivered"`
	Retried      int64 `json:"retried"`
	Rejected     int64 `json:"rejected"`
	DeadLettered int64 `json:"deadLettered"`
	CaughtUp     int64 `json:"caughtUp"`
	Skipped      int64 `json:"skipped"`
	Abandoned    int64 `json:"abandoned"`
	// Delivery is the source's delivery policy, if it has one; Undeliverable counts the ticks it
	// gave up, and LastUndeliverable is the last of them.
	Delivery *DeliveryStatus `json:"delivery,omitempty"`
	// PauseOnFailure is the source's --pause-on-failure; FailuresInARow counts towards it.
	PauseOnFailure int   `json:"pauseOnFailure,omitempty"`
	FailuresInARow int64 `json:"failuresInARow,omitempty"`
	// SentAlone: a group's member whose sink did not answer within a batch's budget, so that its
	// ticks go alone, not in its group's batches.
	SentAlone bool `json:"sentAlone,omitempty"`
	// Backfills are the backfills waiting, the first under way.
	Backfills []BackfillStatus `json:"backfills"`
	// RecentTicks are the last ticks the source handled, oldest first, at most RecentTicks.
	RecentTicks       []TickRecord     `json:"recentTicks"`
	Undeliverable     int64            `json:"undeliverable"`
	LastUndeliverable *RejectionStatus `json:"lastUndeliverable,omitempty"`
}

// RejectionStatus is a tick that its sink refused for good: the sink's answer, or the worker's
// reason (a sink outside --allowed-sinks, say).
type RejectionStatus struct {
	Sequence   int64  `json:"sequence"`
	ID         string `json:"id"`
	Sink       string `json:"sink"` // without user or password
	StatusCode int    `json:"statusCode,omitempty"`
	Reason     string `json:"reason"`
}

// TickStatus names a tick.
type TickStatus struct {
	Sequence int64     `json:"sequence"`
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
}

func (s *source) status() Status { return s.statusWith(NextFireTimes) }

// StatusAtStart is the status a run of the source workflowID started with, from its input: what
// a client can know without the source, so with no next fire time.
func StatusAtStart(workflowID string, in Input) Status {
	s := &source{cfg: in.Config.withDefaults(), state: in.State, workflowID: workflowID}
	return s.statusWith(0)
}

// statusWith is the status with n next fire times: the current details need only one, and
// they are built on every tick.
func (s *source) statusWith(n int) Status {
	c := s.cfg
	st := Status{
		WorkflowID: s.workflowID, Paused: s.state.Paused, PauseReason: s.state.PauseReason,
		Stopping: s.state.Stopping, Finished: s.finished,
		Cron: c.Cron, ExtraCron: c.ExtraCron, SkipCron: c.SkipCron, Timezone: c.Timezone, MaxTicks: c.MaxTicks, Catchup: string(c.Catchup),
		Type: c.Type, Source: c.Source, Subject: c.Subject, Extensions: maps.Clone(c.Extensions), Sink: sinkref.Redact(c.Sink), DeadLetterSink: sinkref.Redact(c.DeadLetterSink),
		SinkCredential: c.SinkCredential, DeadLetterSinkCredential: c.DeadLetterSinkCredential,
		ContentMode: string(c.ContentMode), DataContentType: c.DataContentType,
		Anchor: s.state.Anchor, Sequence: s.state.Sequence, LastScheduledTime: s.state.Cursor,
		PendingTriggers: len(s.state.Triggers),
		Delivered:       s.state.Delivered, Retried: s.state.Retried, Rejected: s.state.Rejected,
		DeadLettered: s.state.DeadLettered, CaughtUp: s.state.CaughtUp, Skipped: s.state.Skipped,
		Abandoned: s.state.Abandoned, NextFireTimes: s.nextFireTimes(n), LastRejection: s.state.LastRejection,
		RecentTicks: s.state.Recent, Backfills: s.backfillStatus(),
		PauseOnFailure: c.PauseOnFailure, FailuresInARow: s.state.FailuresInARow,
		Delivery: c.Delivery.status(), Undeliverable: s.state.Undeliverable, LastUndeliverable: s.state.LastUndeliverable,
		SentAlone: s.alone,
	}
	if c.Interval != 0 {
		st.Interval = c.Interval.String()
	}
	if c.Jitter != 0 {
		st.Jitter = c.Jitter.String()
	}
	if c.CatchupWindow != 0 {
		st.CatchupWindow = c.CatchupWindow.String()
	}
	if !c.StartAt.IsZero() {
		st.StartAt = &c.StartAt
	}
	if !c.EndAt.IsZero() {
		st.EndAt = &c.EndAt
	}
	if by := s.state.StopBy; s.state.Stopping && !by.IsZero() {
		st.StopBy = &by
	}
	if f := s.state.InFlight; f != nil {
		st.InFlight = &TickStatus{Sequence: f.Tick.Sequence, ID: f.Tick.ID, Time: f.Tick.Time}
	}
	if len(st.NextFireTimes) > 0 {
		st.NextFireTime = &st.NextFireTimes[0]
	}
	if st.RecentTicks == nil {
		st.RecentTicks = []TickRecord{} // [] in JSON, as with no tick yet
	}
	return st
}

// nextFireTimes are the next n scheduled times, fewer if the source ends first, none once it
// is stopping. Jitter may send each a little later.
func (s *source) nextFireTimes(n int) []time.Time {
	times := []time.Time{}
	if s.state.Stopping {
		return times
	}
	left := int64(n)
	if s.cfg.MaxTicks > 0 {
		left = min(left, s.cfg.MaxTicks-s.state.Sequence-int64(len(s.state.Triggers)))
	}
	for t := s.state.Cursor; int64(len(times)) < left; {
		t = s.sched.next(t)
		if t.IsZero() || (!s.cfg.EndAt.IsZero() && t.After(s.cfg.EndAt)) {
			break
		}
		times = append(times, t)
	}
	return times
}

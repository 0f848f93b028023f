// Package workflows holds the source workflow: one long-running, deterministic workflow per
// source that runs a drift-free timer loop, hands each tick to the delivery activity, and
// continues as new to keep its history small. It does no I/O.
package workflows

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/ceext"
	"github.com/hello-cron/cronsource/internal/sinkref"
	"github.com/hello-cron/cronsource/internal/tzdb"
)

// Defaults and bounds of a source's configuration: the original demo's event type and source.
const (
	DefaultType   = "com.hello.cron-event"
	DefaultSource = "urn:hello-com:cron-source"
	MinInterval   = 100 * time.Millisecond
	// MaxInterval bounds --interval, so that fire times stay far from where a Duration
	// overflows.
	MaxInterval               = 366 * 24 * time.Hour
	DefaultContinueAsNewAfter = 500
	// MaxJitter bounds --jitter; it must also be less than the interval, or than the shortest
	// time between two fire times of a cron expression.
	MaxJitter = time.Hour
)

// earliest and latest bound --start-at and --end-at: every fire time and every difference
// between two of them then fits in a Duration, and in every format that shows them.
func earliest() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }
func latest() time.Time   { return time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) }

// Config is what a user chooses for a source. Zero values take defaults.
type Config struct {
	// Interval between ticks, on a grid: tick n is due at the anchor plus n intervals. Exactly
	// one of Interval and Cron is set.
	Interval time.Duration
	// Cron is a 5- or 6-field cron expression (seconds optional) or a descriptor such as
	// @hourly, read in Timezone.
	Cron string
	// ExtraCron are more cron expressions: the source fires at the union of their times and
	// Cron's, a time they share once. SkipCron are cron expressions whose times it never fires
	// at (holidays, say). All are read in Timezone.
	ExtraCron []string `json:",omitempty"`
	SkipCron  []string `json:",omitempty"`
	// Timezone is the IANA name Cron is read in; empty means UTC.
	Timezone string
	// Jitter delays each tick's sending by a deterministic amount in [0, Jitter). The event's
	// time stays the scheduled time.
	Jitter time.Duration
	// StartAt is the first tick's time (zero: one interval, or the next cron time, after the
	// start). EndAt ends the source after the last tick due by then; MaxTicks after that many
	// ticks. Zero means no end.
	StartAt  time.Time
	EndAt    time.Time
	MaxTicks int64
	// Delivery is the source's delivery policy; nil: every tick is retried until it is delivered
	// or rejected.
	Delivery *DeliveryPolicy `json:",omitempty"`
	// Catchup is the policy for missed ticks; CatchupWindow, if set, skips ticks that are
	// more than that late whatever the policy.
	Catchup       CatchupPolicy
	CatchupWindow time.Duration

	Type   string
	Source string
	// Subject is the events' subject attribute; empty: none.
	Subject string `json:",omitempty"`
	// Extensions are the events' own extension attributes, by name (see ceext.CheckName). They
	// win over the worker's K_CE_OVERRIDES, and never replace an attribute the source sets.
	Extensions map[string]string `json:",omitempty"`
	// Sink is this source's own sink URL; empty means the worker's.
	Sink string
	// SinkCredential names the worker's credential for the sink (see sink.Credentials): the
	// credential itself never enters the configuration, nor Temporal history. Empty: none.
	SinkCredential string `json:",omitempty"`
	// DeadLetterSink receives the ticks that the sink rejects for good; empty: they are only
	// logged and counted.
	DeadLetterSink string
	// DeadLetterSinkCredential names the worker's credential for DeadLetterSink.
	DeadLetterSinkCredential string `json:",omitempty"`
	ContentMode              contract.ContentMode
	// Data is the event payload (nil: the original demo's {"Id","JobId"}), of DataContentType
	// (empty: application/json).
	Data            []byte
	DataContentType string
	// ContinueAsNewAfter is how many ticks one run handles before it continues as new, unless
	// the server suggests it sooner. Zero means DefaultContinueAsNewAfter.
	ContinueAsNewAfter int
	// SearchAttributes says that the namespace has the custom search attributes of
	// internal/searchattr, so that the source may keep them up to date: upserting one that is
	// not registered would fail every workflow task. The starter sets it after checking. It is
	// absent, so false, in every source started before the search attributes existed, and
	// those replay without upserts.
	SearchAttributes bool `json:",omitempty"`
	// PauseReasonAttribute says that the namespace also has searchattr.PauseReason, which the
	// source then keeps: set by the starter, like SearchAttributes.
	PauseReasonAttribute bool `json:",omitempty"`
	// PauseOnFailure pauses the source after this many ticks in a row were rejected or
	// undeliverable (dead-lettered or not); zero: never.
	PauseOnFailure int `json:",omitempty"`
}

// MaxAttributeBytes bounds a source's own event attributes, its extensions (names and values)
// and subject together: they travel in every tick's activity input and history, as Data does.
const MaxAttributeBytes = 8 << 10

// FieldError is a bad value in a Config. Field is the starter's flag name for it.
type FieldError struct {
	Field  string
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid --%s %q: %s", e.Field, fmt.Sprint(e.Value), e.Reason)
}

// Validate reports the first bad field, if any. Empty fields are valid: they take defaults.
func (c Config) Validate() error {
	if err := c.validateSchedule(); err != nil {
		return err
	}
	if _, err := url.Parse(c.Source); err != nil {
		return &FieldError{"source", c.Source, "must be a URI reference"}
	}
	attrs := len(c.Subject)
	for _, name := range slices.Sorted(maps.Keys(c.Extensions)) {
		if err := ceext.CheckName(name); err != nil {
			return &FieldError{"extension", name, err.Error()}
		}
		attrs += len(name) + len(c.Extensions[name])
	}
	if attrs > MaxAttributeBytes {
		return &FieldError{"extension", fmt.Sprintf("%d bytes with --subject", attrs),
			fmt.Sprintf("the extensions and the subject must take at most %d bytes: they travel in every tick's activity input and history", MaxAttributeBytes)}
	}
	for _, u := range []struct{ field, value string }{{"sink", c.Sink}, {"dead-letter-sink", c.DeadLetterSink}} {
		if u.value == "" {
			continue
		}
		if _, err := sinkref.ParseURL(u.value); err != nil {
			return &FieldError{u.field, sinkref.Redact(u.value), err.Error()}
		}
	}
	for _, n := range []struct{ field, value string }{{"sink-credential", c.SinkCredential},
		{"dead-letter-sink-credential", c.DeadLetterSinkCredential}} {
		if n.value == "" {
			continue
		}
		if err := sinkref.CheckCredentialName(n.value); err != nil {
			return &FieldError{n.field, n.value, err.Error()}
		}
	}
	if err := c.Delivery.validate(); err != nil {
		return err
	}
	if err := c.ContentMode.Validate(); err != nil {
		return &FieldError{"content-mode", c.ContentMode, err.Error()}
	}
	if c.Data != nil {
		if err := contract.CheckData(c.Data, c.DataContentType); err != nil {
			return &FieldError{"data", abbreviate(c.Data), err.Error()}
		}
	}
	if c.PauseOnFailure < 0 {
		return &FieldError{"pause-on-failure", c.PauseOnFailure, "must not be negative"}
	}
	if c.ContinueAsNewAfter < 0 {
		return &FieldError{"continue-as-new-after", c.ContinueAsNewAfter, "must not be negative"}
	}
	return nil
}

// ValidateStart is Validate plus what depends on when the source starts, now: it must tick
// at least once before it ends.
func (c Config) ValidateStart(now time.Time) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.EndAt.IsZero() {
		return nil
	}
	end := c.EndAt.Format(time.RFC3339Nano)
	if !c.EndAt.After(now) {
		return &FieldError{"end-at", end, "is in the past"}
	}
	anchor, cursor := startAt(c, now)
	sched, err := newSchedule(c, anchor, tzdb.Load)
	if err != nil {
		return err
	}
	if first := sched.next(cursor); first.IsZero() || first.After(c.EndAt) {
		return &FieldError{"end-at", end, "comes before the first tick, due " + first.Format(time.RFC3339Nano)}
	}
	return nil
}

// startAt is where a new source's schedule starts: the anchor of an interval schedule, and
// the cursor, after which its first tick is due. That is StartAt itself when it is set.
func startAt(c Config, now time.Time) (anchor, cursor time.Time) {
	if c.StartAt.IsZero() {
		anchor = now.Truncate(time.Millisecond)
		return anchor, anchor
	}
	return c.StartAt, c.StartAt.Add(-time.Nanosecond)
}

// abbreviate shows the start of a payload in an error message.
func abbreviate(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// DecodeDataBase64 decodes --data-base64.
func DecodeDataBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, &FieldError{"data-base64", abbreviate([]byte(s)), "must be standard base64"}
	}
	return b, nil
}

// withDefaults fills the empty fields.
func (c Config) withDefaults() Config {
	if c.Type == "" {
		c.Type = DefaultType
	}
	if c.Source == "" {
		c.Source = DefaultSource
	}
	if c.ContentMode == "" {
		c.ContentMode = contract.Binary
	}
	if c.Catchup == "" {
		c.Catchup = CatchupAll
	}
	if c.ContinueAsNewAfter == 0 {
		c.ContinueAsNewAfter = DefaultContinueAsNewAfter
	}
	c.Delivery = c.Delivery.normalized()
	return c
}

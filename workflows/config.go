// Package workflows holds the source workflow: one long-running, deterministic workflow per
// source that runs a drift-free timer loop, hands each tick to the delivery activity, and
// continues as new to keep its history small. It does no I/O.
package workflows

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/sink"
)

// Defaults and bounds of a source's configuration: the original demo's event type and source.
const (
	DefaultType               = "com.hello.cron-event"
	DefaultSource             = "urn:hello-com:cron-source"
	MinInterval               = 100 * time.Millisecond
	DefaultContinueAsNewAfter = 500
	// MaxJitter bounds --jitter; with --interval it must also be less than the interval.
	MaxJitter = time.Hour
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

// Config is what a user chooses for a source. Zero values take defaults.
type Config struct {
	// Interval between ticks, on a grid: tick n is due at the anchor plus n intervals. Exactly
	// one of Interval and Cron is set.
	Interval time.Duration
	// Cron is a 5- or 6-field cron expression (seconds optional) or a descriptor such as
	// @hourly, read in Timezone.
	Cron string
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
	// Catchup is the policy for missed ticks; CatchupWindow, if set, skips ticks that are
	// more than that late whatever the policy.
	Catchup       CatchupPolicy
	CatchupWindow time.Duration

	Type   string
	Source string
	// Sink is this source's own sink URL; empty means the worker's.
	Sink string
	// DeadLetterSink receives the ticks that the sink rejects for good; empty: they are only
	// logged and counted.
	DeadLetterSink string
	ContentMode    activities.ContentMode
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
}

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
	for _, u := range []struct{ field, value string }{{"sink", c.Sink}, {"dead-letter-sink", c.DeadLetterSink}} {
		if u.value == "" {
			continue
		}
		if _, err := sink.ParseURL(u.value); err != nil {
			return &FieldError{u.field, u.value, err.Error()}
		}
	}
	if err := c.ContentMode.Validate(); err != nil {
		return &FieldError{"content-mode", c.ContentMode, err.Error()}
	}
	if c.Data != nil {
		if err := activities.CheckData(c.Data, c.DataContentType); err != nil {
			return &FieldError{"data", abbreviate(c.Data), err.Error()}
		}
	}
	if c.ContinueAsNewAfter < 0 {
		return &FieldError{"continue-as-new-after", c.ContinueAsNewAfter, "must not be negative"}
	}
	return nil
}

func (c Config) validateSchedule() error {
	switch {
	case c.Interval != 0 && c.Cron != "":
		return &FieldError{"cron", c.Cron, "cannot be used with --interval"}
	case c.Cron != "":
		if _, err := newSchedule(c, time.Time{}); err != nil {
			return err
		}
	case c.Interval < MinInterval:
		return &FieldError{"interval", c.Interval, fmt.Sprintf("must be at least %v", MinInterval)}
	case c.Timezone != "":
		return &FieldError{"timezone", c.Timezone, "only applies to --cron"}
	}
	switch {
	case c.Jitter < 0 || c.Jitter > MaxJitter:
		return &FieldError{"jitter", c.Jitter, fmt.Sprintf("must be from 0 to %v", MaxJitter)}
	case c.Interval != 0 && c.Jitter >= c.Interval:
		return &FieldError{"jitter", c.Jitter, "must be less than --interval"}
	case !c.EndAt.IsZero() && !c.StartAt.IsZero() && !c.EndAt.After(c.StartAt):
		return &FieldError{"end-at", c.EndAt.Format(time.RFC3339), "must be after --start-at"}
	case c.MaxTicks < 0:
		return &FieldError{"max-ticks", c.MaxTicks, "must not be negative"}
	case c.CatchupWindow < 0:
		return &FieldError{"catchup-window", c.CatchupWindow, "must not be negative"}
	}
	if err := c.Catchup.Validate(); err != nil {
		return &FieldError{"catchup", c.Catchup, err.Error()}
	}
	return nil
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
		c.ContentMode = activities.Binary
	}
	if c.Catchup == "" {
		c.Catchup = CatchupAll
	}
	if c.ContinueAsNewAfter == 0 {
		c.ContinueAsNewAfter = DefaultContinueAsNewAfter
	}
	return c
}

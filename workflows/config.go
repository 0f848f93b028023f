// Package workflows holds the source workflow: one long-running, deterministic workflow per
// source that runs a drift-free timer loop, hands each tick to the delivery activity, and
// continues as new to keep its history small. It does no I/O.
package workflows

import (
	"fmt"
	"net/url"
	"time"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/sink"
)

// Defaults of a source's configuration: the original demo's event type and source.
const (
	DefaultType               = "com.hello.cron-event"
	DefaultSource             = "urn:hello-com:cron-source"
	MinInterval               = 100 * time.Millisecond
	DefaultContinueAsNewAfter = 500
)

// Config is what a user chooses for a source.
type Config struct {
	// Interval between ticks: tick n is scheduled at the anchor plus n intervals.
	Interval time.Duration
	Type     string
	Source   string
	// Sink is this source's own sink URL; empty means the worker's.
	Sink        string
	ContentMode activities.ContentMode
	// ContinueAsNewAfter is how many ticks one run handles before it continues as new, unless
	// the server suggests it sooner. Zero means DefaultContinueAsNewAfter.
	ContinueAsNewAfter int
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
	if c.Interval < MinInterval {
		return &FieldError{"interval", c.Interval, fmt.Sprintf("must be at least %v", MinInterval)}
	}
	if _, err := url.Parse(c.Source); err != nil {
		return &FieldError{"source", c.Source, "must be a URI reference"}
	}
	if c.Sink != "" {
		if _, err := sink.ParseURL(c.Sink); err != nil {
			return &FieldError{"sink", c.Sink, err.Error()}
		}
	}
	if err := c.ContentMode.Validate(); err != nil {
		return &FieldError{"content-mode", c.ContentMode, err.Error()}
	}
	if c.ContinueAsNewAfter < 0 {
		return &FieldError{"continue-as-new-after", c.ContinueAsNewAfter, "must not be negative"}
	}
	return nil
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
	if c.ContinueAsNewAfter == 0 {
		c.ContinueAsNewAfter = DefaultContinueAsNewAfter
	}
	return c
}

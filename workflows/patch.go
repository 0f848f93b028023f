package workflows

import (
	"maps"
	"slices"
	"time"

	"github.com/hello-cron/cronsource/activities/contract"
)

// ConfigPatch changes a running source from its next tick; nil fields stay as they are.
// Setting Interval drops Cron, ExtraCron, SkipCron and Timezone; setting Cron drops Interval.
// Every field of Config
// but StartAt, which only a start uses, can be changed (TestDiffCoversEveryField).
type ConfigPatch struct {
	Interval *time.Duration `json:",omitempty"`
	Cron     *string        `json:",omitempty"`
	Timezone *string        `json:",omitempty"`
	// ExtraCron and SkipCron replace those lists; an empty list removes them.
	ExtraCron     *[]string      `json:",omitempty"`
	SkipCron      *[]string      `json:",omitempty"`
	Jitter        *time.Duration `json:",omitempty"`
	Catchup       *CatchupPolicy `json:",omitempty"`
	CatchupWindow *time.Duration `json:",omitempty"`
	Sink          *string        `json:",omitempty"`
	// SinkCredential replaces the sink's credential name; "" removes it. A new Sink keeps it.
	SinkCredential *string `json:",omitempty"`
	Type           *string `json:",omitempty"`
	Source         *string `json:",omitempty"`
	// Subject replaces the subject; "" removes it.
	Subject *string `json:",omitempty"`
	// Extensions replaces the whole set of the source's extensions; an empty map removes them.
	// A pointer, so that ConfigPatch stays comparable.
	Extensions *map[string]string `json:",omitempty"`
	// DeadLetterSink and its credential: "" removes them.
	DeadLetterSink           *string               `json:",omitempty"`
	DeadLetterSinkCredential *string               `json:",omitempty"`
	ContentMode              *contract.ContentMode `json:",omitempty"`
	// Payload replaces the data and its content type together.
	Payload *Payload `json:",omitempty"`
	// MaxTicks and EndAt move the source's end; 0 and the zero time remove it.
	MaxTicks           *int64     `json:",omitempty"`
	EndAt              *time.Time `json:",omitempty"`
	ContinueAsNewAfter *int       `json:",omitempty"`
	// Delivery replaces the whole delivery policy; the zero policy removes it.
	Delivery       *DeliveryPolicy `json:",omitempty"`
	PauseOnFailure *int            `json:",omitempty"`
}

// Payload is an event payload: Data nil is the default {"Id","JobId"}, of DataContentType
// (empty: application/json).
type Payload struct {
	Data            []byte
	DataContentType string `json:",omitempty"`
}

// Empty reports whether the patch changes nothing.
func (p ConfigPatch) Empty() bool { return p == ConfigPatch{} }

// Apply returns c with the patch applied.
func (p ConfigPatch) Apply(c Config) Config {
	if p.Interval != nil {
		c.Interval, c.Cron, c.Timezone, c.ExtraCron, c.SkipCron = *p.Interval, "", "", nil, nil
	}
	if p.Cron != nil {
		c.Cron, c.Interval = *p.Cron, 0
	}
	set(&c.Timezone, p.Timezone)
	if p.ExtraCron != nil {
		c.ExtraCron = nonEmpty(*p.ExtraCron)
	}
	if p.SkipCron != nil {
		c.SkipCron = nonEmpty(*p.SkipCron)
	}
	set(&c.Jitter, p.Jitter)
	set(&c.Catchup, p.Catchup)
	set(&c.CatchupWindow, p.CatchupWindow)
	set(&c.Sink, p.Sink)
	set(&c.SinkCredential, p.SinkCredential)
	set(&c.Type, p.Type)
	set(&c.Source, p.Source)
	set(&c.Subject, p.Subject)
	if p.Extensions != nil {
		c.Extensions = maps.Clone(*p.Extensions)
		if len(c.Extensions) == 0 {
			c.Extensions = nil
		}
	}
	set(&c.DeadLetterSink, p.DeadLetterSink)
	set(&c.DeadLetterSinkCredential, p.DeadLetterSinkCredential)
	set(&c.ContentMode, p.ContentMode)
	if p.Payload != nil {
		c.Data, c.DataContentType = p.Payload.Data, p.Payload.DataContentType
	}
	set(&c.MaxTicks, p.MaxTicks)
	set(&c.EndAt, p.EndAt)
	set(&c.ContinueAsNewAfter, p.ContinueAsNewAfter)
	if p.Delivery != nil {
		c.Delivery = p.Delivery.normalized()
	}
	set(&c.PauseOnFailure, p.PauseOnFailure)
	return c
}

// nonEmpty is a copy of list, nil if it is empty.
func nonEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return slices.Clone(list)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// FullPatch sets every field that a patch can set to c's value: for a source that records no
// configuration (started before MemoConfig), whose differences cannot be known without a worker.
func FullPatch(c Config) ConfigPatch {
	c = c.withDefaults()
	ext := maps.Clone(c.Extensions)
	if ext == nil {
		ext = map[string]string{}
	}
	p := ConfigPatch{Jitter: &c.Jitter, Catchup: &c.Catchup, CatchupWindow: &c.CatchupWindow, Sink: &c.Sink,
		SinkCredential: &c.SinkCredential, Type: &c.Type, Source: &c.Source, Subject: &c.Subject, Extensions: &ext,
		DeadLetterSink: &c.DeadLetterSink, DeadLetterSinkCredential: &c.DeadLetterSinkCredential, ContentMode: &c.ContentMode,
		Payload: &Payload{Data: c.Data, DataContentType: c.DataContentType}, MaxTicks: &c.MaxTicks, EndAt: &c.EndAt,
		ContinueAsNewAfter: &c.ContinueAsNewAfter, Delivery: &DeliveryPolicy{}, PauseOnFailure: &c.PauseOnFailure}
	if c.Delivery != nil {
		p.Delivery = c.Delivery
	}
	if c.Cron != "" {
		extra, skip := append([]string{}, c.ExtraCron...), append([]string{}, c.SkipCron...)
		p.Cron, p.Timezone, p.ExtraCron, p.SkipCron = &c.Cron, &c.Timezone, &extra, &skip
	} else {
		p.Interval = &c.Interval
	}
	return p
}

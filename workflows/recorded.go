package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// MemoConfig is the memo key under which a source keeps its RecordedConfig: the starter sets it
// at the start, and the source after every change (in runs with configMemoChange). Temporal keeps
// the memo across continue-as-new and shows it without a worker, so `starter apply` can compare a
// source with its spec while no worker runs.
const MemoConfig = "config"

// RecordedConfig is a source's configuration as its memo records it: with defaults filled in,
// the sinks with any password masked, and the payload by its SHA-256 instead of its bytes.
type RecordedConfig struct {
	Config Config
	// DataSHA256 is the hex SHA-256 of Config.Data, which is left out; empty for the default payload.
	DataSHA256 string `json:",omitempty"`
}

// Record is c as a source's memo records it.
func Record(c Config) RecordedConfig {
	c = c.withDefaults()
	r := RecordedConfig{DataSHA256: digest(c.Data)}
	c.Data, c.SearchAttributes, c.PauseReasonAttribute = nil, false, false
	c.Sink, c.DeadLetterSink = sinkref.Redact(c.Sink), sinkref.Redact(c.DeadLetterSink)
	r.Config = c
	return r
}

func digest(data []byte) string {
	if data == nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Change is one setting that differs, by its flag name, with both values as text.
type Change struct {
	Field    string
	From, To string
}

func (c Change) String() string { return fmt.Sprintf("%s %s -> %s", c.Field, c.From, c.To) }

// ConfigDiff is what it takes to bring a running source to a spec.
type ConfigDiff struct {
	// Patch changes exactly the fields listed in Changes.
	Patch   ConfigPatch
	Changes []Change
	// StartOnly lists the differences that only a start applies (--start-at): they are ignored.
	StartOnly []Change
}

// Diff compares a source's recorded configuration with the desired one.
func (r RecordedConfig) Diff(desired Config) ConfigDiff {
	want := desired.withDefaults()
	have := r.Config
	var d ConfigDiff
	schedule := func(field, from, to string) { d.Changes = append(d.Changes, Change{field, from, to}) }
	switch {
	case want.Cron != "":
		if want.Cron != have.Cron {
			d.Patch.Cron = &want.Cron
			schedule("cron", show(have.Cron), show(want.Cron))
		}
		for _, l := range []struct {
			flag       string
			have, want []string
			dst        **[]string
		}{{"more cron", have.ExtraCron, want.ExtraCron, &d.Patch.ExtraCron}, {"skip-cron", have.SkipCron, want.SkipCron, &d.Patch.SkipCron}} {
			if !slices.Equal(l.have, l.want) {
				list := append([]string{}, l.want...)
				*l.dst = &list
				schedule(l.flag, showList(l.have), showList(l.want))
			}
		}
		if want.Timezone != have.Timezone {
			d.Patch.Timezone = &want.Timezone
			schedule("timezone", show(have.Timezone), show(want.Timezone))
		}
	case want.Interval != have.Interval || have.Cron != "":
		d.Patch.Interval = &want.Interval // drops the cron expression and its time zone
		schedule("interval", have.Interval.String(), want.Interval.String())
		if have.Cron != "" {
			schedule("cron", show(have.Cron), show(""))
		}
	}
	field(&d, "jitter", have.Jitter, want.Jitter, &d.Patch.Jitter, time.Duration.String)
	field(&d, "catchup", have.Catchup, want.Catchup, &d.Patch.Catchup, func(p CatchupPolicy) string { return string(p) })
	field(&d, "catchup-window", have.CatchupWindow, want.CatchupWindow, &d.Patch.CatchupWindow, time.Duration.String)
	field(&d, "sink", have.Sink, sinkref.Redact(want.Sink), &d.Patch.Sink, show)
	d.Patch.Sink = ptrIf(d.Patch.Sink != nil, want.Sink) // the real value, not its masked form
	field(&d, "sink-credential", have.SinkCredential, want.SinkCredential, &d.Patch.SinkCredential, show)
	field(&d, "type", have.Type, want.Type, &d.Patch.Type, show)
	field(&d, "source", have.Source, want.Source, &d.Patch.Source, show)
	field(&d, "subject", have.Subject, want.Subject, &d.Patch.Subject, show)
	if !maps.Equal(have.Extensions, want.Extensions) {
		ext := maps.Clone(want.Extensions)
		if ext == nil {
			ext = map[string]string{}
		}
		d.Patch.Extensions = &ext
		d.Changes = append(d.Changes, Change{"extension", showExtensions(have.Extensions), showExtensions(want.Extensions)})
	}
	field(&d, "dead-letter-sink", have.DeadLetterSink, sinkref.Redact(want.DeadLetterSink), &d.Patch.DeadLetterSink, show)
	d.Patch.DeadLetterSink = ptrIf(d.Patch.DeadLetterSink != nil, want.DeadLetterSink)
	field(&d, "dead-letter-sink-credential", have.DeadLetterSinkCredential, want.DeadLetterSinkCredential,
		&d.Patch.DeadLetterSinkCredential, show)
	field(&d, "content-mode", have.ContentMode, want.ContentMode, &d.Patch.ContentMode, func(m contract.ContentMode) string { return string(m) })
	if wantDigest := digest(want.Data); wantDigest != r.DataSHA256 || want.DataContentType != have.DataContentType {
		d.Patch.Payload = &Payload{Data: want.Data, DataContentType: want.DataContentType}
		d.Changes = append(d.Changes, Change{"data", showPayload(r.DataSHA256, have.DataContentType),
			showPayload(wantDigest, want.DataContentType)})
	}
	field(&d, "max-ticks", have.MaxTicks, want.MaxTicks, &d.Patch.MaxTicks, func(n int64) string { return fmt.Sprint(n) })
	if !want.EndAt.Equal(have.EndAt) {
		d.Patch.EndAt = &want.EndAt
		d.Changes = append(d.Changes, Change{"end-at", showTime(have.EndAt), showTime(want.EndAt)})
	}
	field(&d, "continue-as-new-after", have.ContinueAsNewAfter, want.ContinueAsNewAfter, &d.Patch.ContinueAsNewAfter,
		func(n int) string { return fmt.Sprint(n) })
	field(&d, "pause-on-failure", have.PauseOnFailure, want.PauseOnFailure, &d.Patch.PauseOnFailure, func(n int) string { return fmt.Sprint(n) })
	if !want.Delivery.Equal(have.Delivery) {
		d.Patch.Delivery = &DeliveryPolicy{}
		if want.Delivery != nil {
			d.Patch.Delivery = want.Delivery
		}
		d.Changes = append(d.Changes, Change{"delivery", have.Delivery.String(), want.Delivery.String()})
	}
	if !want.StartAt.IsZero() && !want.StartAt.Equal(have.StartAt) {
		d.StartOnly = append(d.StartOnly, Change{"start-at", showTime(have.StartAt), showTime(want.StartAt)})
	}
	return d
}

// field adds a change of a comparable setting to d: the patch's pointer and the change shown.
func field[T comparable](d *ConfigDiff, name string, have, want T, dst **T, text func(T) string) {
	if have == want {
		return
	}
	*dst = &want
	d.Changes = append(d.Changes, Change{name, text(have), text(want)})
}

func ptrIf(ok bool, s string) *string {
	if !ok {
		return nil
	}
	return &s
}

func show(s string) string { return fmt.Sprintf("%q", s) }

func showTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format(time.RFC3339Nano)
}

func showList(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = show(s)
	}
	return "[" + strings.Join(quoted, " ") + "]"
}

func showExtensions(ext map[string]string) string {
	pairs := make([]string, 0, len(ext))
	for _, name := range slices.Sorted(maps.Keys(ext)) {
		pairs = append(pairs, name+"="+ext[name])
	}
	return "[" + strings.Join(pairs, " ") + "]"
}

// showPayload names a payload by the start of its digest, which is all a memo keeps.
func showPayload(sha, contentType string) string {
	s := "default"
	if sha != "" {
		s = "sha256:" + sha[:12]
	}
	if contentType != "" {
		s += " (" + contentType + ")"
	}
	return s
}

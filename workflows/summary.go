package workflows

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// The bounds of the texts Temporal's tools show. The server refuses a start whose summary
// payload is over 400 bytes or whose details payload is over 20000 (limit.userMetadata*Size);
// these leave room for the payload's JSON quoting and metadata.
const (
	maxSummary = 200
	maxDetails = 8000
)

// scheduleText says when a source ticks, in a few words: "every 1s",
// `on cron "0 9 * * 1-5" (Europe/Paris)`, or `on cron "0 9 * * 1-5" or "0 12 * * 6" (UTC),
// except "0 0 25 12 *"`. It is what `starter list` shows and the value of the CronSourceSchedule
// search attribute.
func scheduleText(interval, cron string, extra []string, timezone string, skip []string) string {
	if cron == "" {
		return "every " + interval
	}
	if timezone == "" {
		timezone = "UTC"
	}
	s := fmt.Sprintf("on cron %s (%s)", quotedOr(append([]string{cron}, extra...)), timezone)
	if len(skip) > 0 {
		s += ", except " + quotedOr(skip)
	}
	return s
}

func quotedOr(exprs []string) string {
	quoted := make([]string, len(exprs))
	for i, e := range exprs {
		quoted[i] = fmt.Sprintf("%q", e)
	}
	return strings.Join(quoted, " or ")
}

// Schedule is the schedule of c in a few words (scheduleText).
func (c Config) Schedule() string {
	interval := ""
	if c.Interval != 0 {
		interval = c.Interval.String()
	}
	return scheduleText(interval, c.Cron, c.ExtraCron, c.Timezone, c.SkipCron)
}

// Schedule is the schedule of the source in a few words, as Config.Schedule says it.
func (st Status) Schedule() string {
	return scheduleText(st.Interval, st.Cron, st.ExtraCron, st.Timezone, st.SkipCron)
}

// Summary is the one line that Temporal's tools show for a source (its static summary): the
// schedule, the sink with any password masked, and the CloudEvent type and source.
func (c Config) Summary() string {
	c = c.withDefaults()
	return summaryLine(c.Schedule(), sinkref.Redact(c.Sink), c.Type, c.Source)
}

// Summary is the same line as Config.Summary, from a status.
func (st Status) Summary() string {
	return summaryLine(st.Schedule(), st.Sink, st.Type, st.Source)
}

// summaryLine takes a sink that is masked already; empty is the worker's sink.
func summaryLine(schedule, sinkURL, eventType, source string) string {
	if sinkURL == "" {
		sinkURL = "the worker's sink"
	}
	return clip(fmt.Sprintf("cron source %s → %s (%s from %s)", schedule, sinkURL, eventType, source), maxSummary)
}

// Details is a source's configuration as a few lines of markdown (its static details), with
// sink passwords masked.
func (c Config) Details() string {
	c = c.withDefaults()
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "- %s: %s\n", name, fmt.Sprintf(format, args...))
	}
	schedule := c.Schedule()
	if c.Jitter != 0 {
		schedule += fmt.Sprintf(", jitter up to %v", c.Jitter)
	}
	line("schedule", "%s", schedule)
	catchup := string(c.Catchup)
	if c.CatchupWindow != 0 {
		catchup += fmt.Sprintf(", within %v", c.CatchupWindow)
	}
	line("catch-up", "%s", catchup)
	if !c.StartAt.IsZero() {
		line("starts at", "%s", c.StartAt.Format(time.RFC3339))
	}
	if !c.EndAt.IsZero() {
		line("ends at", "%s", c.EndAt.Format(time.RFC3339))
	}
	if c.MaxTicks != 0 {
		line("ends after", "%d ticks", c.MaxTicks)
	}
	line("type", "%s", c.Type)
	line("source", "%s", c.Source)
	if c.Subject != "" {
		line("subject", "%s", c.Subject)
	}
	if len(c.Extensions) > 0 {
		line("extensions", "%s", ExtensionsText(c.Extensions))
	}
	line("sink", "%s", WithCredential(orText(sinkref.Redact(c.Sink), "the worker's"), c.SinkCredential))
	line("dead-letter sink", "%s", WithCredential(orText(sinkref.Redact(c.DeadLetterSink), "none"), c.DeadLetterSinkCredential))
	line("delivery", "%s", c.Delivery.status().Text())
	if c.PauseOnFailure > 0 {
		line("pauses on failure", "after %d ticks in a row rejected or undeliverable", c.PauseOnFailure)
	}
	line("content mode", "%s", c.ContentMode)
	if c.Data == nil {
		line("data", `the default {"Id","JobId"}`)
	} else {
		line("data", "%d bytes of %s", len(c.Data), orText(c.DataContentType, "application/json"))
	}
	line("continues as new", "every %d ticks", c.ContinueAsNewAfter)
	return clip(b.String(), maxDetails)
}

// ExtensionsText shows a source's extensions as name=value pairs, by name: "region=eu, team=payments".
func ExtensionsText(ext map[string]string) string {
	pairs := make([]string, 0, len(ext))
	for _, name := range slices.Sorted(maps.Keys(ext)) {
		pairs = append(pairs, name+"="+ext[name])
	}
	return strings.Join(pairs, ", ")
}

// State is "running", "paused", "paused (reason)", "stopping", or once the workflow has ended
// "stopped" or "ended" (past its last tick).
func (st Status) State() string {
	switch {
	case st.Finished && st.Stopping:
		return "stopped"
	case st.Finished:
		return "ended"
	case st.Stopping:
		return "stopping"
	case st.Paused && st.PauseReason != "":
		return "paused (" + st.PauseReason + ")"
	case st.Paused:
		return "paused"
	}
	return "running"
}

// NoNextFireTime says why a status has no next fire time.
func (st Status) NoNextFireTime() string {
	if st.Stopping && !st.Finished {
		return "the source is stopping"
	}
	return "the source has ended"
}

// CurrentDetails is the markdown a running source shows as its current details: the summary
// line, then its state and counts. Only NextFireTime of st is used, so st may be built with
// one next fire time.
func (st Status) CurrentDetails() string {
	var b strings.Builder
	b.WriteString(st.Summary())
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "- state: **%s**\n", st.State())
	fmt.Fprintf(&b, "- last sequence: %d\n", st.Sequence)
	if f := st.InFlight; f != nil {
		fmt.Fprintf(&b, "- in flight: tick %d, due %s\n", f.Sequence, f.Time.Format(time.RFC3339Nano))
	} else {
		b.WriteString("- in flight: none\n")
	}
	if st.NextFireTime != nil {
		fmt.Fprintf(&b, "- next fire time: %s\n", st.NextFireTime.Format(time.RFC3339Nano))
	} else {
		b.WriteString("- next fire time: none, " + st.NoNextFireTime() + "\n")
	}
	if st.PendingTriggers > 0 {
		fmt.Fprintf(&b, "- extra ticks waiting: %d\n", st.PendingTriggers)
	}
	fmt.Fprintf(&b, "- delivered %d, retried %d, rejected %d, dead-lettered %d, caught up %d, skipped %d",
		st.Delivered, st.Retried, st.Rejected, st.DeadLettered, st.CaughtUp, st.Skipped)
	if st.Abandoned > 0 {
		fmt.Fprintf(&b, ", abandoned %d", st.Abandoned)
	}
	if st.Undeliverable > 0 {
		fmt.Fprintf(&b, ", undeliverable %d", st.Undeliverable)
	}
	for _, bf := range st.Backfills {
		fmt.Fprintf(&b, "\n- backfill %s to %s: %d of %d sent", bf.From.Format(time.RFC3339), bf.To.Format(time.RFC3339), bf.Sent, bf.Total)
	}
	b.WriteString("\n")
	return b.String()
}

func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// clip cuts s to at most limit bytes, on a character boundary, marking the cut with "…".
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const mark = "…"
	cut := limit - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// WithCredential adds the name of a sink's credential to it, if it has one.
func WithCredential(sink, credential string) string {
	if credential == "" {
		return sink
	}
	return sink + " (credential " + credential + ")"
}

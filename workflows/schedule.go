package workflows

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hello-cron/cronsource/internal/tzdb"
)

// schedule gives a source's fire times. It is pure: the same configuration gives the same
// times on every worker and every replay.
type schedule interface {
	// next is the first fire time strictly after t.
	next(t time.Time) time.Time
}

// intervalSchedule fires at anchor + n × every: for n ≥ 0 as a source runs, and for n < 0 for the
// times before its start that a backfill sends. (A source's cursor is never more than 1 ns
// before its anchor, where both give the anchor.)
type intervalSchedule struct {
	anchor time.Time
	every  time.Duration
}

// next adds the whole intervals and the one after separately: their product could overflow a
// Duration where their sum as times does not. Config.Validate bounds times and intervals so
// that t.Sub(anchor) never saturates.
func (s intervalSchedule) next(t time.Time) time.Time {
	if t.Before(s.anchor) {
		return s.anchor.Add(-(s.anchor.Sub(t) - 1) / s.every * s.every)
	}
	return s.anchor.Add(t.Sub(s.anchor) / s.every * s.every).Add(s.every)
}

// cronSchedule fires at the union of the times of its cron expressions, except at the times of
// its skip expressions.
type cronSchedule struct{ specs, skip []cron.Schedule }

// maxSkipped bounds how many fire times in a row the skip expressions may exclude before the
// schedule counts as never firing again: next must end on every worker and replay.
const maxSkipped = 10000

func (s cronSchedule) next(t time.Time) time.Time {
	for range maxSkipped {
		var at time.Time
		for _, spec := range s.specs {
			if n := spec.Next(t); !n.IsZero() && (at.IsZero() || n.Before(at)) {
				at = n
			}
		}
		if at.IsZero() || !s.skipped(at) {
			return at
		}
		t = at
	}
	return time.Time{}
}

// skipped: a skip expression fires at t.
func (s cronSchedule) skipped(t time.Time) bool {
	for _, spec := range s.skip {
		if spec.Next(t.Add(-time.Nanosecond)).Equal(t) {
			return true
		}
	}
	return false
}

// cronParser accepts 5 or 6 fields (seconds optional) and descriptors such as @hourly.
func cronParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// zoneLoader finds an IANA time zone by name.
type zoneLoader func(name string) (*time.Location, error)

// machineZones is how sources recorded before hardenedChange loaded their time zones: the
// host's zoneinfo first, so that two hosts could disagree. They keep it until their next run.
func machineZones(name string) (*time.Location, error) { return time.LoadLocation(name) }

// newSchedule builds the schedule of c, anchored at anchor when it is an interval, with time
// zones from loadZone: tzdb.Load, the database embedded in the worker, so that every worker
// of one build computes the same times, or machineZones for runs recorded before that.
func newSchedule(c Config, anchor time.Time, loadZone zoneLoader) (schedule, error) {
	if c.Cron == "" {
		return intervalSchedule{anchor: anchor, every: c.Interval}, nil
	}
	loc, err := loadZone(c.Timezone)
	if err != nil {
		return nil, &FieldError{"timezone", c.Timezone, "must be an IANA time zone name such as Europe/Paris"}
	}
	var s cronSchedule
	for _, e := range []struct {
		flag  string
		exprs []string
		dst   *[]cron.Schedule
	}{{"cron", append([]string{c.Cron}, c.ExtraCron...), &s.specs}, {"skip-cron", c.SkipCron, &s.skip}} {
		for _, expr := range e.exprs {
			spec, err := parseCron(e.flag, expr, loc)
			if err != nil {
				return nil, err
			}
			*e.dst = append(*e.dst, spec)
		}
	}
	if s.next(cronReference()).IsZero() {
		return nil, &FieldError{"cron", strings.Join(append([]string{c.Cron}, c.ExtraCron...), " "), "never fires (--skip-cron may exclude every time)"}
	}
	return s, nil
}

// parseCron parses one cron expression of flag, read in loc.
func parseCron(flag, expr string, loc *time.Location) (cron.Schedule, error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, &FieldError{flag, expr, "set the time zone with --timezone"}
	}
	spec, err := cronParser().Parse(expr)
	if err != nil {
		return nil, &FieldError{flag, expr, err.Error()}
	}
	if ss, ok := spec.(*cron.SpecSchedule); ok {
		ss.Location = loc // the parser's default is the machine's zone
	}
	if spec.Next(cronReference()).IsZero() {
		return nil, &FieldError{flag, expr, "never fires"}
	}
	return spec, nil
}

// cronReference is where a cron expression's fire times are examined for validation: a fixed
// time, so that validation is as deterministic as the schedule, and a recent one, so that the
// daylight-saving rules it meets are today's.
func cronReference() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// gapSpan is how far minGap looks: a year and a bit meets every month, weekday and
// daylight-saving change of a schedule. gapSample bounds how many fire times it looks at, for
// schedules that fire often; those meet their shortest gap early.
const (
	gapSpan   = 400 * 24 * time.Hour
	gapSample = 1000
)

// minGap is the shortest time between two consecutive fire times of sched in the gapSpan from
// the reference time, among at most gapSample of them; zero if it fires fewer than twice.
func minGap(sched schedule) time.Duration {
	var gap time.Duration
	first := sched.next(cronReference())
	prev := first
	for range gapSample {
		t := sched.next(prev)
		if t.IsZero() || prev.IsZero() {
			break
		}
		if d := t.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		if t.Sub(first) > gapSpan {
			break
		}
		prev = t
	}
	return gap
}

// jitter is the deterministic delay of the tick due at slot: the same on every replay and
// worker, spread evenly over [0, max).
func jitter(instanceID string, slot time.Time, limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(instanceID))
	h.Write([]byte(strconv.FormatInt(slot.UnixNano(), 10)))
	return time.Duration(h.Sum64() % uint64(limit))
}

// validateSchedule reports the first bad field of c's schedule, its bounds and its catch-up.
func (c Config) validateSchedule() error {
	var gap time.Duration // between two fire times, at the least
	switch {
	case c.Interval != 0 && c.Cron != "":
		return &FieldError{"cron", c.Cron, "cannot be used with --interval"}
	case c.Cron != "":
		sched, err := newSchedule(c, time.Time{}, tzdb.Load)
		if err != nil {
			return err
		}
		if c.Jitter > 0 {
			gap = minGap(sched)
		}
	case len(c.ExtraCron) > 0 || len(c.SkipCron) > 0:
		return &FieldError{"cron", strings.Join(append(slices.Clone(c.ExtraCron), c.SkipCron...), " "),
			"more --cron and --skip-cron need a first --cron"}
	case c.Interval < MinInterval:
		return &FieldError{"interval", c.Interval, fmt.Sprintf("must be at least %v", MinInterval)}
	case c.Interval > MaxInterval:
		return &FieldError{"interval", c.Interval, fmt.Sprintf("must be at most %v", MaxInterval)}
	case c.Timezone != "":
		return &FieldError{"timezone", c.Timezone, "only applies to --cron"}
	default:
		gap = c.Interval
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"start-at", c.StartAt}, {"end-at", c.EndAt}} {
		if !t.at.IsZero() && (t.at.Before(earliest()) || !t.at.Before(latest())) {
			return &FieldError{t.field, t.at.Format(time.RFC3339Nano), fmt.Sprintf("must be from %s to before %s",
				earliest().Format(time.RFC3339), latest().Format(time.RFC3339))}
		}
	}
	switch {
	case c.Jitter < 0 || c.Jitter > MaxJitter:
		return &FieldError{"jitter", c.Jitter, fmt.Sprintf("must be from 0 to %v", MaxJitter)}
	case c.Interval != 0 && c.Jitter >= c.Interval:
		return &FieldError{"jitter", c.Jitter, "must be less than --interval"}
	case c.Jitter > 0 && c.Jitter >= gap:
		return &FieldError{"jitter", c.Jitter, fmt.Sprintf("must be less than the shortest time between two fire times of --cron, %v", gap)}
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

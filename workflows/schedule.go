package workflows

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// schedule gives a source's fire times. It is pure: the same configuration gives the same
// times on every worker and every replay.
type schedule interface {
	// next is the first fire time strictly after t.
	next(t time.Time) time.Time
}

// intervalSchedule fires at anchor + n × every, n ≥ 0, for times after the anchor.
type intervalSchedule struct {
	anchor time.Time
	every  time.Duration
}

func (s intervalSchedule) next(t time.Time) time.Time {
	if t.Before(s.anchor) {
		return s.anchor
	}
	return s.anchor.Add((t.Sub(s.anchor)/s.every + 1) * s.every)
}

// cronSchedule fires at the times of a cron expression.
type cronSchedule struct{ spec cron.Schedule }

func (s cronSchedule) next(t time.Time) time.Time { return s.spec.Next(t) }

// cronParser accepts 5 or 6 fields (seconds optional) and descriptors such as @hourly.
func cronParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// newSchedule builds the schedule of c, anchored at anchor when it is an interval. The
// time zone comes from the tzdata embedded in the worker binary, so every worker of one
// build computes the same times.
func newSchedule(c Config, anchor time.Time) (schedule, error) {
	if c.Cron == "" {
		return intervalSchedule{anchor: anchor, every: c.Interval}, nil
	}
	loc := time.UTC
	if c.Timezone != "" {
		var err error
		if loc, err = time.LoadLocation(c.Timezone); err != nil {
			return nil, &FieldError{"timezone", c.Timezone, "must be an IANA time zone name such as Europe/Paris"}
		}
	}
	if strings.HasPrefix(c.Cron, "TZ=") || strings.HasPrefix(c.Cron, "CRON_TZ=") {
		return nil, &FieldError{"cron", c.Cron, "set the time zone with --timezone"}
	}
	spec, err := cronParser().Parse(c.Cron)
	if err != nil {
		return nil, &FieldError{"cron", c.Cron, err.Error()}
	}
	if ss, ok := spec.(*cron.SpecSchedule); ok {
		ss.Location = loc // the parser's default is the machine's zone
	}
	if spec.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, &FieldError{"cron", c.Cron, "never fires"}
	}
	return cronSchedule{spec: spec}, nil
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

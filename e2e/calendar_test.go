package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestCalendars: a source with two --cron fires at the union of their times, never at a
// --skip-cron time, with contiguous sequences; describe and list say so.
func TestCalendars(t *testing.T) {
	sink := newRecorder(t)
	addr := startDevserver(t)
	startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	const id = "calendar"
	// Every even second, and seconds 1, 11, 21, ...; never a multiple of 3.
	mustStarter(t, addr, "start", "--workflow-id", id, "--cron", "*/2 * * * * *", "--cron", "1/10 * * * * *",
		"--skip-cron", "*/3 * * * * *")
	events := sink.waitFor(t, 8, time.Minute)
	checkContiguous(t, events)
	seen := map[time.Time]bool{}
	for _, e := range events {
		at := e.Time().UTC()
		s := at.Second()
		if s%3 == 0 || s%2 != 0 && s%10 != 1 || at.Nanosecond() != 0 {
			t.Errorf("tick %d at %v: not a time of the calendar", seqOf(e), at)
		}
		if seen[at] {
			t.Errorf("time %v fired twice", at)
		}
		seen[at] = true
	}
	want := `on cron "*/2 * * * * *" or "1/10 * * * * *" (UTC), except "*/3 * * * * *"`
	if d := describe(t, addr, id); d.Schedule() != want || len(d.ExtraCron) != 1 || len(d.SkipCron) != 1 {
		t.Errorf("describe: schedule %q, extra %v, skip %v; want %q", d.Schedule(), d.ExtraCron, d.SkipCron, want)
	}
	if out := mustStarter(t, addr, "list"); !strings.Contains(out, want) {
		t.Errorf("list:\n%s", out)
	}
	recordHistory(t, addr, id, "source-v6-calendar")
}

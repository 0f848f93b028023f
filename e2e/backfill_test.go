package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// TestBackfill: `starter backfill` sends the scheduled times before the source's start, in
// time order, marked backfill=true, with sequence 0 and ids from their times; asked again it
// sends the same ids; the live stream's sequence goes on unbroken.
func TestBackfill(t *testing.T) {
	sink := newRecorder(t)
	addr := startDevserver(t)
	startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	const id = "backfilled"
	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s")
	sink.waitFor(t, 2, time.Minute)
	anchor := describe(t, addr, id).Anchor
	from, to := anchor.Add(-5*time.Second).Format(time.RFC3339Nano), anchor.Format(time.RFC3339Nano)
	out := mustStarter(t, addr, "backfill", "--workflow-id", id, "--from", from, "--to", to)
	if !strings.HasPrefix(out, fmt.Sprintf("backfilling source %q: 6 never-sent times from ", id)) {
		t.Errorf("backfill said %q", out)
	}
	backfilled := func() []cloudevents.Event {
		var out []cloudevents.Event
		for _, e := range sink.events() {
			if e.Extensions()["backfill"] == "true" {
				out = append(out, e)
			}
		}
		return out
	}
	eventually(t, "6 backfilled events", time.Minute, func() bool { return len(backfilled()) == 6 })
	var ids []string
	for i, e := range backfilled() {
		want := anchor.Add(time.Duration(i-5) * time.Second)
		if !e.Time().Equal(want) || seqOf(e) != 0 || !strings.HasSuffix(e.ID(), fmt.Sprintf("-backfill-%d", want.UnixNano())) {
			t.Errorf("backfilled event %d: time %v, sequence %d, id %s; want %v, 0, an id from its time", i, e.Time(), seqOf(e), e.ID(), want)
		}
		ids = append(ids, e.ID())
	}
	mustStarter(t, addr, "backfill", "--workflow-id", id, "--from", from, "--to", to)
	eventually(t, "the same backfill again", time.Minute, func() bool { return len(backfilled()) == 12 })
	var again []string
	for _, e := range backfilled()[6:] {
		again = append(again, e.ID())
	}
	if !slices.Equal(ids, again) {
		t.Errorf("asked twice, ids %v then %v", ids, again)
	}
	sink.waitFor(t, len(sink.events())+2, time.Minute)
	var live []cloudevents.Event
	for _, e := range sink.events() {
		if e.Extensions()["backfill"] == nil {
			live = append(live, e)
		}
	}
	checkContiguous(t, live)
	if d := describe(t, addr, id); len(d.Backfills) != 0 {
		t.Errorf("backfills still waiting: %+v", d.Backfills)
	}
	if _, ok := starter(addr, "backfill", "--workflow-id", id, "--from", to, "--to", time.Now().Add(time.Hour).Format(time.RFC3339)); ok {
		t.Error("a backfill into the future was accepted")
	}
	recordHistory(t, addr, id, "source-v6-backfill")
}

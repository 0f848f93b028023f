package workflows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBackfill: a backfill sends, in time order and before the next scheduled tick, the times
// of the range that the source never sent: those before its start and those it skipped; each
// with an id from its time, no sequence number and the backfill mark, the same when asked twice.
func TestBackfill(t *testing.T) {
	h := newHarness(t, answer{})
	first := h.update(t, s(25), UpdateBackfill, BackfillRequest{From: t0.Add(-s(30)), To: t0.Add(s(25))})
	again := h.update(t, s(26), UpdateBackfill, BackfillRequest{From: t0.Add(-s(15)), To: t0.Add(-s(5))})
	h.update(t, s(35), UpdatePause, PauseRequest{})
	h.update(t, s(62), UpdateResume)
	gap := h.update(t, s(66), UpdateBackfill, BackfillRequest{From: t0.Add(s(35)), To: t0.Add(s(66))})
	future := h.update(t, s(67), UpdateBackfill, BackfillRequest{From: t0, To: t0.Add(s(90))})
	next := h.run(t, Input{Config: Config{Interval: s(10), Catchup: CatchupSkip, ContinueAsNewAfter: 12}})
	for name, u := range map[string]*updateResult{"first": first, "again": again, "gap": gap} {
		if u.rejected != nil || u.err != nil {
			t.Fatalf("%s backfill: rejected %v, err %v", name, u.rejected, u.err)
		}
	}
	if future.rejected == nil || !strings.Contains(future.rejected.Error(), "in the future") {
		t.Errorf("a backfill into the future: rejected %v", future.rejected)
	}
	type sent struct {
		what string // "live <seq>" or "backfill <scheduled offset>"
		at   time.Duration
	}
	var got []sent
	for _, d := range h.got {
		if d.tick.Backfill {
			if d.tick.Sequence != 0 || d.tick.ID != fmt.Sprintf("default-test-run-id-backfill-%d", d.tick.Time.UnixNano()) {
				t.Errorf("backfilled tick %+v: want sequence 0 and an id from its time", d.tick)
			}
			got = append(got, sent{"backfill " + d.tick.Time.Sub(t0).String(), d.at.Sub(t0)})
			continue
		}
		got = append(got, sent{fmt.Sprintf("live %d", d.tick.Sequence), d.at.Sub(t0)})
	}
	want := []sent{{"live 1", s(10)}, {"live 2", s(20)},
		{"backfill -30s", s(25)}, {"backfill -20s", s(25)}, {"backfill -10s", s(25)}, {"backfill 0s", s(25)},
		{"backfill -10s", s(26)}, // asked again: the same id
		{"live 3", s(30)},
		// paused from 35 s to 62 s with --catchup skip: 40, 50 and 60 s were skipped
		{"backfill 40s", s(66)}, {"backfill 50s", s(66)}, {"backfill 1m0s", s(66)},
		{"live 4", s(70)}}
	if !slices.Equal(got, want[:min(len(want), len(got))]) || len(got) < len(want) {
		t.Errorf("sent\n %v\nwant\n %v", got, want)
	}
	if next.State.Sequence < 4 || len(next.State.Backfills) != 0 || next.State.Origin != t0 || len(next.State.Gaps) != 1 {
		t.Errorf("state: sequence %d, backfills %+v, origin %v, gaps %+v", next.State.Sequence, next.State.Backfills,
			next.State.Origin, next.State.Gaps)
	}
}

package workflows

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/tzdb"
)

// FuzzSchedule checks that whatever Config.Validate accepts is safe to run: building the
// schedule and computing fire times, the next fire times of the status, the current details and
// the jitter never panic, overflow or go backwards, and the status always encodes as JSON. The
// seed corpus (testdata/fuzz/FuzzSchedule) holds the absurd values that once broke a source;
// `make test` fuzzes briefly beyond them.
func FuzzSchedule(f *testing.F) {
	f.Add(int64(time.Second), "", "", int64(0), int64(0), int64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, interval int64, cronSpec, timezone string, jitterNs, startUnix, endUnix, maxTicks, sequence int64) {
		c := Config{Interval: time.Duration(interval), Cron: cronSpec, Timezone: timezone, Jitter: time.Duration(jitterNs),
			MaxTicks: maxTicks}
		if startUnix != 0 {
			c.StartAt = time.Unix(startUnix, 0).UTC()
		}
		if endUnix != 0 {
			c.EndAt = time.Unix(endUnix, 0).UTC()
		}
		if c.Validate() != nil {
			return
		}
		c = c.withDefaults()
		// The source may start at any time in the range it accepts for --start-at, and may
		// have run for a while.
		now := earliest().Add(time.Duration(uint64(startUnix^endUnix) % uint64(latest().Sub(earliest()))))
		anchor, cursor := startAt(c, now)
		sched, err := newSchedule(c, anchor, tzdb.Load)
		if err != nil {
			t.Fatalf("Validate accepted %+v, newSchedule refused it: %v", c, err)
		}
		if sequence < 0 {
			sequence = -sequence
		}
		for range sequence % 50 {
			next := sched.next(cursor)
			if next.IsZero() {
				break
			}
			cursor = next
		}
		s := &source{cfg: c, sched: sched, workflowID: "fuzz",
			state: State{InstanceID: "run", Anchor: anchor, Cursor: cursor, Sequence: sequence % 50}}
		st := s.status()
		if _, err := json.Marshal(st); err != nil {
			t.Fatalf("status of %+v does not encode: %v", c, err)
		}
		_ = st.CurrentDetails()
		prev := cursor
		for _, next := range st.NextFireTimes {
			if !next.After(prev) {
				t.Fatalf("fire times of %+v go backwards: %v after %v", c, next, prev)
			}
			if d := next.Sub(now); d == time.Duration(1<<63-1) || d == -1<<63 {
				t.Fatalf("fire time %v of %+v is out of Duration range from %v", next, c, now)
			}
			if j := jitter(s.state.InstanceID, next, c.Jitter); j < 0 || (c.Jitter > 0 && j >= c.Jitter) {
				t.Fatalf("jitter %v outside [0, %v)", j, c.Jitter)
			}
			prev = next
		}
	})
}

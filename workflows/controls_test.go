package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

func TestPauseAndResumeFollowTheCatchupPolicy(t *testing.T) {
	// Interval 10 s; paused at 15 s, resumed at 45 s: ticks due at 20, 30 and 40 s were missed.
	tests := []struct {
		policy      CatchupPolicy
		want        []sentTick
		wantSkipped int64
	}{
		{CatchupAll, []sentTick{{1, s(10), s(10)}, {2, s(20), s(45)}, {3, s(30), s(45)}, {4, s(40), s(45)}, {5, s(50), s(50)}}, 0},
		{CatchupLatest, []sentTick{{1, s(10), s(10)}, {2, s(40), s(45)}, {3, s(50), s(50)}, {4, s(60), s(60)}}, 2},
		{CatchupSkip, []sentTick{{1, s(10), s(10)}, {2, s(50), s(50)}, {3, s(60), s(60)}}, 3},
		// The tick due at 40 s is only 5 s late when the source resumes, but it came due while
		// the source was paused: it was missed all the same.
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			h := newHarness(t, answer{})
			pause := h.update(t, s(15), UpdatePause, PauseRequest{Reason: "maintenance"})
			resume := h.update(t, s(45), UpdateResume)
			st := h.finish(t, Input{Config: Config{Interval: s(10), Catchup: tt.policy, MaxTicks: int64(len(tt.want))}})
			for _, u := range []*updateResult{pause, resume} {
				if u.rejected != nil || !u.done || u.err != nil {
					t.Fatalf("update: %+v", u)
				}
			}
			checkSent(t, h.sent(), tt.want)
			if st.Skipped != tt.wantSkipped {
				t.Errorf("skipped %d, want %d", st.Skipped, tt.wantSkipped)
			}
		})
	}
}

func TestCatchupWindowSkipsOldTicks(t *testing.T) {
	// Tick 1 takes 45 s: ticks due at 20, 30, 40 and 50 s are late by 35, 25, 15 and 5 s.
	h := newHarness(t, answer{delay: func(n int) time.Duration {
		if n == 0 {
			return s(45)
		}
		return 0
	}})
	st := h.finish(t, Input{Config: Config{Interval: s(10), CatchupWindow: s(20), MaxTicks: 4}})
	checkSent(t, h.sent(), []sentTick{{1, s(10), s(10)}, {2, s(40), s(55)}, {3, s(50), s(55)}, {4, s(60), s(60)}})
	// Tick 2 was 15 s late; tick 3, 5 s late with no later tick due yet, counts as on time.
	if st.Skipped != 2 || st.CaughtUp != 1 {
		t.Errorf("skipped %d, caught up %d; want 2 and 1", st.Skipped, st.CaughtUp)
	}
}

func TestUpdateChangesTheScheduleFromTheNextTick(t *testing.T) {
	for _, tc := range []struct {
		name string
		ans  answer
		want []sentTick
	}{
		{
			name: "between ticks",
			// Ticks at 10 and 20 s on the old grid, then every 3 s from the update at 25 s.
			want: []sentTick{{1, s(10), s(10)}, {2, s(20), s(20)}, {3, s(28), s(28)}, {4, s(31), s(31)}, {5, s(34), s(34)}, {6, s(37), s(37)}},
		},
		{
			name: "during a slow delivery",
			// Tick 2 takes until 35 s: it is not skipped, and the new grid from 25 s catches up
			// its own ticks due by then, none of the old grid's.
			ans: answer{delay: func(n int) time.Duration {
				if n == 1 {
					return s(15)
				}
				return 0
			}},
			want: []sentTick{{1, s(10), s(10)}, {2, s(20), s(20)}, {3, s(28), s(35)}, {4, s(31), s(35)}, {5, s(34), s(35)}, {6, s(37), s(37)}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.ans)
			interval := s(3)
			up := h.update(t, s(25), UpdateConfig, ConfigPatch{Interval: &interval})
			next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 6}})
			if up.rejected != nil || up.err != nil {
				t.Fatalf("update: %+v", up)
			}
			checkSent(t, h.sent(), tc.want)
			if next.Config.Interval != interval || next.State.Skipped != 0 {
				t.Errorf("carried interval %v, skipped %d; want %v, 0", next.Config.Interval, next.State.Skipped, interval)
			}
			for i, d := range h.got {
				if d.tick.ID != EventID("default-test-run-id", int64(i+1)) {
					t.Errorf("tick %d id %s: ids must go on unbroken", i+1, d.tick.ID)
				}
			}
		})
	}
}

func TestNewSinkAppliesToTheTickInFlight(t *testing.T) {
	// The old sink is down: tick 1 is retried until the update at 30 s points it elsewhere.
	h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
		if tick.Sink == "http://old" {
			return temporal.NewApplicationError("sink answered 503", contract.ErrRetryable)
		}
		return nil
	}})
	newSink := "http://new"
	h.update(t, s(30), UpdateConfig, ConfigPatch{Sink: &newSink})
	h.run(t, Input{Config: Config{Interval: s(10), Sink: "http://old", ContinueAsNewAfter: 3}})

	var before, after []delivery
	for _, d := range h.got {
		if d.at.Before(t0.Add(s(30))) {
			before = append(before, d)
		} else {
			after = append(after, d)
		}
	}
	for _, d := range before {
		if d.tick.Sink != "http://old" || d.tick.Sequence != 1 {
			t.Errorf("before the update got %+v, want tick 1 to the old sink", d.tick)
		}
	}
	if len(after) == 0 || after[0].tick.Sink != newSink || after[0].tick.Sequence != 1 ||
		after[0].tick.ID != EventID("default-test-run-id", 1) {
		t.Fatalf("after the update got %+v, want tick 1 with its id, to the new sink", after)
	}
}

func TestTriggerSendsAnExtraTick(t *testing.T) {
	h := newHarness(t, answer{})
	h.update(t, s(15), UpdateTrigger)
	next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
	checkSent(t, h.sent(), []sentTick{{1, s(10), s(10)}, {2, s(15), s(15)}, {3, s(20), s(20)}})
	if next.State.Delivered != 3 {
		t.Errorf("delivered %d, want 3", next.State.Delivered)
	}
}

func TestStopFinishesTheDeliveryInFlight(t *testing.T) {
	// Tick 2 takes 8 s; stop arrives 3 s into it.
	h := newHarness(t, answer{delay: func(n int) time.Duration {
		if n == 1 {
			return s(8)
		}
		return 0
	}})
	stop := h.update(t, s(23), UpdateStop)
	st := h.finish(t, Input{Config: Config{Interval: s(10)}})
	if stop.rejected != nil || stop.err != nil {
		t.Fatalf("stop: %+v", stop)
	}
	if got := st.State(); got != "stopped" || st.NextFireTime != nil {
		t.Errorf("state after the stop = %q, next fire time %v; want stopped, none", got, st.NextFireTime)
	}
	checkSent(t, h.sent(), []sentTick{{1, s(10), s(10)}, {2, s(20), s(20)}})
}

func TestSourceEnds(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []sentTick
	}{
		{"max ticks", Config{Interval: s(10), MaxTicks: 3},
			[]sentTick{{1, s(10), s(10)}, {2, s(20), s(20)}, {3, s(30), s(30)}}},
		{"start and end", Config{Interval: s(10), StartAt: t0.Add(s(25)), EndAt: t0.Add(s(50))},
			[]sentTick{{1, s(25), s(25)}, {2, s(35), s(35)}, {3, s(45), s(45)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{})
			st := h.finish(t, Input{Config: tt.cfg})
			checkSent(t, h.sent(), tt.want)
			if got := st.State(); got != "ended" || st.NextFireTime != nil {
				t.Errorf("state at the end = %q, next fire time %v; want ended, none", got, st.NextFireTime)
			}
		})
	}
}

func TestCronSchedule(t *testing.T) {
	// t0 is 2026-01-01 00:00 UTC, which is 01:00 in Paris (winter, UTC+1).
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	paris := Config{Cron: "30 2 * * *", Timezone: "Europe/Paris"}
	withMax := func(c Config, n int64) Config { c.MaxTicks = n; return c }
	tests := []struct {
		name  string
		start time.Time
		cfg   Config
		want  []time.Time
	}{
		{"every 15 s, 6 fields", t0, Config{Cron: "*/15 * * * * *", MaxTicks: 3},
			[]time.Time{t0.Add(s(15)), t0.Add(s(30)), t0.Add(s(45))}},
		{"hourly descriptor", t0, Config{Cron: "@hourly", MaxTicks: 2}, []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour)}},
		{"5 fields in a time zone (winter, UTC+1)", t0, withMax(paris, 2),
			[]time.Time{utc("2026-01-01T01:30:00Z"), utc("2026-01-02T01:30:00Z")}},
		// 29 March 2026: Paris goes from 02:00 to 03:00, so 02:30 does not exist that day.
		{"clocks go forward: skipped that day", utc("2026-03-28T12:00:00Z"), withMax(paris, 2),
			[]time.Time{utc("2026-03-30T00:30:00Z"), utc("2026-03-31T00:30:00Z")}},
		// 25 October 2026: Paris goes from 03:00 back to 02:00, so 02:30 happens twice.
		{"clocks go back: fires twice", utc("2026-10-24T12:00:00Z"), withMax(paris, 3),
			[]time.Time{utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:30:00Z"), utc("2026-10-26T01:30:00Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{})
			h.env.SetStartTime(tt.start)
			h.finish(t, Input{Config: tt.cfg})
			if len(h.got) != len(tt.want) {
				t.Fatalf("sent %v, want ticks at %v", h.sent(), tt.want)
			}
			for i, d := range h.got {
				if !d.tick.Time.Equal(tt.want[i]) || !d.at.Equal(tt.want[i]) {
					t.Errorf("tick %d scheduled %v sent %v, want %v", i+1, d.tick.Time, d.at, tt.want[i])
				}
			}
		})
	}
}

func TestJitterIsBoundedAndDeterministic(t *testing.T) {
	cfg := Config{Interval: s(10), Jitter: s(4), ContinueAsNewAfter: 20}
	var runs [2][]sentTick
	for i := range runs {
		h := newHarness(t, answer{})
		h.run(t, Input{Config: cfg})
		runs[i] = h.sent()
	}
	delayed := 0
	for i, st := range runs[0] {
		if st.scheduled != time.Duration(i+1)*s(10) {
			t.Errorf("tick %d scheduled +%v: jitter must not move the event's time", i+1, st.scheduled)
		}
		if d := st.at - st.scheduled; d < 0 || d >= cfg.Jitter {
			t.Errorf("tick %d sent %v after its time, want within [0, %v)", i+1, d, cfg.Jitter)
		} else if d > 0 {
			delayed++
		}
		if runs[1][i] != st {
			t.Errorf("tick %d: %+v then %+v: jitter must be the same on every run", i+1, st, runs[1][i])
		}
	}
	if delayed < 10 {
		t.Errorf("only %d of 20 ticks were delayed: jitter is not applied", delayed)
	}
}

func TestUpdatesAreValidated(t *testing.T) {
	tiny := time.Millisecond
	bad := "nope"
	tests := []struct {
		name, update string
		args         []any
		pausedFirst  bool
		want         string
	}{
		{"interval too short", UpdateConfig, []any{ConfigPatch{Interval: &tiny}}, false, "invalid --interval"},
		{"bad cron", UpdateConfig, []any{ConfigPatch{Cron: &bad}}, false, "invalid --cron"},
		{"bad catchup", UpdateConfig, []any{ConfigPatch{Catchup: (*CatchupPolicy)(&bad)}}, false, "invalid --catchup"},
		{"nothing to update", UpdateConfig, []any{ConfigPatch{}}, false, "nothing to update"},
		{"trigger while paused", UpdateTrigger, nil, true, "paused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{})
			if tt.pausedFirst {
				h.update(t, s(5), UpdatePause, PauseRequest{})
				h.update(t, s(50), UpdateResume)
			}
			r := h.update(t, s(15), tt.update, tt.args...)
			next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
			if r.rejected == nil || !strings.Contains(r.rejected.Error(), tt.want) {
				t.Fatalf("rejected with %v, want %q", r.rejected, tt.want)
			}
			if next.Config.Interval != s(10) || next.Config.Cron != "" {
				t.Errorf("a refused update changed the config: %+v", next.Config)
			}
		})
	}
}

func TestUpdateRacingWithContinueAsNewIsCarried(t *testing.T) {
	// The third tick (at 30 s) is the last of this run; the update lands at the same moment.
	h := newHarness(t, answer{})
	typ := "com.example.changed"
	up := h.update(t, s(30), UpdateConfig, ConfigPatch{Type: &typ})
	trig := h.update(t, s(30), UpdateTrigger)
	next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
	if up.rejected != nil || !up.done || trig.rejected != nil || !trig.done {
		t.Fatalf("updates: %+v %+v", up, trig)
	}
	if next.Config.Type != typ {
		t.Errorf("carried type %q, want %q", next.Config.Type, typ)
	}
	delivered := next.State.Delivered
	if pending := int64(len(next.State.Triggers)); delivered+pending != 4 {
		t.Errorf("delivered %d and carried %d triggers, want the trigger sent or carried (4 in all)", delivered, pending)
	}
}

func TestRejectedTickGoesToTheDeadLetterSink(t *testing.T) {
	h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
		if tick.Sequence == 2 {
			return temporal.NewNonRetryableApplicationError("sink rejected the event: 400", contract.ErrRejected, nil,
				contract.Rejection{Sink: "http://sink", StatusCode: 400, Data: []byte("bad"), Attempt: 1})
		}
		return nil
	}})
	next := h.run(t, Input{Config: Config{Interval: s(10), Sink: "http://sink", DeadLetterSink: "http://dls", ContinueAsNewAfter: 3}})
	if len(h.deadLetters) != 1 {
		t.Fatalf("dead-lettered %d ticks, want 1", len(h.deadLetters))
	}
	dl := h.deadLetters[0]
	if dl.Sink != "http://dls" || dl.Tick.Sequence != 2 || dl.Rejection.StatusCode != 400 || string(dl.Rejection.Data) != "bad" {
		t.Errorf("dead letter = %+v", dl)
	}
	if next.State.Rejected != 1 || next.State.DeadLettered != 1 || next.State.Sequence != 3 {
		t.Errorf("state = %+v, want 1 rejected, 1 dead-lettered, sequence 3", next.State)
	}
}

// TestStartPaused: a source started paused sends nothing until resume; the ticks due meanwhile
// follow the catch-up policy, as after any pause, and the status shows why it is paused.
func TestStartPaused(t *testing.T) {
	tests := []struct {
		policy CatchupPolicy
		want   []sentTick
	}{
		// Interval 10 s, resumed at 35 s: ticks due at 10, 20 and 30 s came due while paused.
		{CatchupAll, []sentTick{{1, s(10), s(35)}, {2, s(20), s(35)}, {3, s(30), s(35)}, {4, s(40), s(40)}}},
		{CatchupLatest, []sentTick{{1, s(30), s(35)}, {2, s(40), s(40)}, {3, s(50), s(50)}, {4, s(60), s(60)}}},
		{CatchupSkip, []sentTick{{1, s(40), s(40)}, {2, s(50), s(50)}, {3, s(60), s(60)}, {4, s(70), s(70)}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			h := newHarness(t, answer{})
			var before Status
			h.env.RegisterDelayedCallback(func() {
				v, err := h.env.QueryWorkflow(QueryStatus)
				if err != nil {
					t.Errorf("query: %v", err)
					return
				}
				_ = v.Get(&before)
			}, s(30))
			resume := h.update(t, s(35), UpdateResume)
			h.finish(t, Input{Config: Config{Interval: s(10), Catchup: tt.policy, MaxTicks: 4}, State: PausedAtStart("")})
			if resume.rejected != nil || !resume.done || resume.err != nil {
				t.Fatalf("resume: %+v", resume)
			}
			if !before.Paused || before.PauseReason != DefaultStartPausedReason || before.Sequence != 0 {
				t.Errorf("status at 30 s: paused %v (%q), sequence %d; want paused (%q), 0",
					before.Paused, before.PauseReason, before.Sequence, DefaultStartPausedReason)
			}
			checkSent(t, h.sent(), tt.want)
		})
	}
}

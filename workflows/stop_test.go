package workflows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

func TestStopEndsWithinItsGrace(t *testing.T) {
	unavailable := func(int) error { return temporal.NewApplicationError("sink answered 503", contract.ErrRetryable) }
	type stop struct {
		at  time.Duration
		req StopRequest
	}
	tests := []struct {
		name          string
		ans           answer
		deadLetter    string
		deadLetterErr func(int) error
		pauseAt       time.Duration
		stops         []stop
		// endedBy is when the source must have completed; the workflow clock skips ahead, so
		// completing later than this is not hidden by a fast test.
		endedBy                            time.Duration
		delivered, abandoned, deadLettered int64
	}{
		{name: "grace ends: the tick in flight goes to the dead-letter sink", ans: failing(2, -1),
			deadLetter: "http://dls", stops: []stop{{s(25), grace(s(30))}},
			endedBy: s(55) + time.Second, delivered: 1, abandoned: 1, deadLettered: 1},
		{name: "grace ends, no dead-letter sink: counted and logged", ans: failing(2, -1),
			stops: []stop{{s(25), grace(s(30))}}, endedBy: s(55) + time.Second, delivered: 1, abandoned: 1},
		{name: "the default grace", ans: failing(2, -1), stops: []stop{{s(25), StopRequest{}}},
			endedBy: s(25) + DefaultStopGrace + time.Second, delivered: 1, abandoned: 1},
		{name: "now", ans: failing(2, -1), deadLetter: "http://dls", stops: []stop{{s(25), StopRequest{Now: true}}},
			endedBy: s(25) + time.Second, delivered: 1, abandoned: 1, deadLettered: 1},
		{name: "the sink comes back within the grace", ans: failing(2, 4), stops: []stop{{s(25), grace(time.Hour)}},
			endedBy: s(40), delivered: 2},
		{name: "a second stop brings the end closer", ans: failing(2, -1),
			stops: []stop{{s(25), grace(s(60))}, {s(30), grace(s(10))}}, endedBy: s(40) + time.Second, delivered: 1, abandoned: 1},
		{name: "a second stop does not push the end back", ans: failing(2, -1),
			stops: []stop{{s(25), grace(s(10))}, {s(30), grace(time.Hour)}}, endedBy: s(35) + time.Second, delivered: 1, abandoned: 1},
		{name: "paused with a tick in flight: abandoned at once", ans: failing(2, -1), deadLetter: "http://dls",
			pauseAt: s(23), stops: []stop{{s(30), grace(time.Hour)}}, endedBy: s(30) + time.Second, delivered: 1, abandoned: 1, deadLettered: 1},
		{name: "the dead-letter sink is down too", ans: failing(2, -1), deadLetter: "http://dls", deadLetterErr: unavailable,
			stops: []stop{{s(25), grace(s(30))}}, endedBy: s(55) + DeadLetterTimeout + time.Second, delivered: 1, abandoned: 1},
		{name: "nothing in flight", stops: []stop{{s(25), grace(time.Hour)}}, endedBy: s(25) + time.Second, delivered: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.ans)
			h.deadLetterErr = tt.deadLetterErr
			if tt.pauseAt > 0 {
				h.update(t, tt.pauseAt, UpdatePause, PauseRequest{})
			}
			var results []*updateResult
			for _, st := range tt.stops {
				results = append(results, h.update(t, st.at, UpdateStop, st.req))
			}
			st := h.finish(t, Input{Config: Config{Interval: s(10), DeadLetterSink: tt.deadLetter}})
			for _, r := range results {
				if r.rejected != nil || r.err != nil || !r.done {
					t.Fatalf("stop: %+v", r)
				}
			}
			if ended := h.env.Now().Sub(t0); ended > tt.endedBy {
				t.Errorf("the source completed %v after it started, want by %v", ended, tt.endedBy)
			}
			if st.State() != "stopped" || st.Delivered != tt.delivered || st.Abandoned != tt.abandoned || st.DeadLettered != tt.deadLettered {
				t.Errorf("state %s, delivered %d, abandoned %d, dead-lettered %d; want stopped, %d, %d, %d",
					st.State(), st.Delivered, st.Abandoned, st.DeadLettered, tt.delivered, tt.abandoned, tt.deadLettered)
			}
			if st.InFlight != nil || st.Sequence != tt.delivered+tt.abandoned {
				t.Errorf("in flight %+v, sequence %d; want none, %d: an abandoned tick keeps its number", st.InFlight, st.Sequence, tt.delivered+tt.abandoned)
			}
			for _, d := range h.got {
				if d.tick.Sequence > st.Sequence {
					t.Errorf("tick %d was sent after the stop", d.tick.Sequence)
				}
			}
			if tt.deadLetter != "" && tt.abandoned > 0 {
				dl := h.deadLetters[0]
				if dl.Tick.Sequence != 2 || dl.Tick.ID != EventID("default-test-run-id", 2) || !strings.Contains(dl.Rejection.Reason, "abandoned") {
					t.Errorf("dead letter = %+v, want tick 2, with its id, abandoned", dl)
				}
			}
		})
	}
}

func TestWhileStoppingANewSinkOrAResumeStillWork(t *testing.T) {
	newSink := "http://new"
	t.Run("update --sink: the tick in flight goes there, then the source stops", func(t *testing.T) {
		h := newHarness(t, failing(2, -1))
		stop := h.update(t, s(25), UpdateStop, grace(time.Hour))
		up := h.update(t, s(30), UpdateConfig, ConfigPatch{Sink: &newSink})
		st := h.finish(t, Input{Config: Config{Interval: s(10)}})
		if stop.err != nil || up.rejected != nil || up.err != nil {
			t.Fatalf("stop %+v, update %+v", stop, up)
		}
		last := h.got[len(h.got)-1]
		if last.tick.Sequence != 2 || last.tick.Sink != newSink || !last.at.Equal(t0.Add(s(30))) {
			t.Errorf("last delivery %+v at %v, want tick 2 to the new sink at 30 s", last.tick, last.at.Sub(t0))
		}
		if st.State() != "stopped" || st.Delivered != 2 || st.Abandoned != 0 {
			t.Errorf("state %s, delivered %d, abandoned %d; want stopped, 2, 0", st.State(), st.Delivered, st.Abandoned)
		}
	})
	t.Run("resume: the stop is taken back", func(t *testing.T) {
		h := newHarness(t, failing(2, 5))
		h.update(t, s(25), UpdateStop, grace(s(10)))
		resume := h.update(t, s(30), UpdateResume)
		next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 4}})
		if resume.rejected != nil || resume.err != nil {
			t.Fatalf("resume: %+v", resume)
		}
		if next.State.Stopping || !next.State.StopBy.IsZero() || next.State.Abandoned != 0 || next.State.Delivered != 4 {
			t.Errorf("carried state %+v, want running on: 4 delivered, none abandoned", next.State)
		}
	})
	t.Run("pause and trigger are refused", func(t *testing.T) {
		h := newHarness(t, failing(2, -1))
		h.update(t, s(25), UpdateStop, grace(s(10)))
		pause := h.update(t, s(26), UpdatePause, PauseRequest{})
		trigger := h.update(t, s(27), UpdateTrigger)
		h.finish(t, Input{Config: Config{Interval: s(10)}})
		for name, r := range map[string]*updateResult{"pause": pause, "trigger": trigger} {
			if r.rejected == nil || !strings.Contains(r.rejected.Error(), "stopping") {
				t.Errorf("%s while stopping: rejected with %v, want refused", name, r.rejected)
			}
		}
	})
}

func TestStopRequestValidation(t *testing.T) {
	h := newHarness(t, answer{})
	r := h.update(t, s(15), UpdateStop, grace(-time.Second))
	h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 2}})
	if r.rejected == nil || !strings.Contains(r.rejected.Error(), "invalid --grace") {
		t.Errorf("rejected with %v, want invalid --grace", r.rejected)
	}
}

func TestTriggersCountAgainstMaxTicks(t *testing.T) {
	// Tick 1 takes 5 s; triggers come at 11, 12 and 13 s, while it is in flight.
	h := newHarness(t, answer{delay: func(n int) time.Duration {
		if n == 0 {
			return s(5)
		}
		return 0
	}})
	var triggers []*updateResult
	for i := range 3 {
		triggers = append(triggers, h.update(t, s(11+i), UpdateTrigger))
	}
	st := h.finish(t, Input{Config: Config{Interval: s(10), MaxTicks: 3}})
	if triggers[0].rejected != nil || triggers[1].rejected != nil {
		t.Fatalf("the first two triggers were refused: %v, %v", triggers[0].rejected, triggers[1].rejected)
	}
	if r := triggers[2].rejected; r == nil || !strings.Contains(r.Error(), "max-ticks") {
		t.Errorf("third trigger rejected with %v, want refused: ticks 1-3 are taken", r)
	}
	checkSent(t, h.sent(), []sentTick{{1, s(10), s(10)}, {2, s(11), s(15)}, {3, s(12), s(15)}})
	if st.State() != "ended" || st.Sequence != 3 {
		t.Errorf("state %s at sequence %d, want ended at 3", st.State(), st.Sequence)
	}
}

func TestContinueAsNewAfterCountsTicks(t *testing.T) {
	// Pauses, resumes and updates wake the main loop; only ticks count.
	h := newHarness(t, answer{})
	for i := range 5 {
		h.update(t, s(11)+time.Duration(i)*time.Second, UpdatePause, PauseRequest{})
		h.update(t, s(11)+time.Duration(i)*time.Second+time.Millisecond, UpdateResume)
	}
	next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
	if len(h.got) != 3 || next.State.Delivered != 3 {
		t.Errorf("sent %d ticks, delivered %d before continuing as new; want 3", len(h.got), next.State.Delivered)
	}
}

func TestDurationsTakeStrings(t *testing.T) {
	tests := []struct {
		name string
		json string
		into any
		want any
	}{
		{"patch, strings", `{"Interval":"30s","Jitter":"1.5s","CatchupWindow":"1h"}`, &ConfigPatch{},
			ConfigPatch{Interval: ptr(s(30)), Jitter: ptr(1500 * time.Millisecond), CatchupWindow: ptr(time.Hour)}},
		{"patch, nanoseconds", `{"Interval":30000000000}`, &ConfigPatch{}, ConfigPatch{Interval: ptr(s(30))}},
		{"patch, sink only", `{"Sink":"http://x"}`, &ConfigPatch{}, ConfigPatch{Sink: ptr("http://x")}},
		{"config", `{"Interval":"10s","Jitter":2000000000,"Type":"t"}`, &Config{}, Config{Interval: s(10), Jitter: s(2), Type: "t"}},
		{"stop", `{"Grace":"45s"}`, &StopRequest{}, StopRequest{Grace: ptr(s(45))}},
		{"stop now", `{"Now":true}`, &StopRequest{}, StopRequest{Now: true}},
		{"delivery policy", `{"Delivery":{"Retry":3,"BackoffDelay":"500ms","Timeout":"5s","MaxAge":3600000000000}}`, &ConfigPatch{},
			ConfigPatch{Delivery: &DeliveryPolicy{Retry: ptr(int32(3)), BackoffDelay: 500 * time.Millisecond, Timeout: s(5), MaxAge: time.Hour}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := json.Unmarshal([]byte(tt.json), tt.into); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(tt.into)
			want, _ := json.Marshal(tt.want)
			if string(got) != string(want) {
				t.Errorf("decoded %s, want %s", got, want)
			}
		})
	}
	for _, bad := range []string{`{"Interval":"soon"}`, `{"Interval":true}`, `{"Interval":1.5}`} {
		var p ConfigPatch
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s decoded as %+v, want an error", bad, p)
		}
	}
}

// TestUpdateTakesDurationStrings sends an update as Temporal's CLI would, as JSON with a
// duration string, through the workflow's own decoding.
func TestUpdateTakesDurationStrings(t *testing.T) {
	h := newHarness(t, answer{})
	r := h.update(t, s(15), UpdateConfig, json.RawMessage(`{"Interval":"5s"}`))
	next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
	if r.rejected != nil || r.err != nil {
		t.Fatalf("update: %+v", r)
	}
	if next.Config.Interval != s(5) {
		t.Errorf("interval after the update %v, want 5s", next.Config.Interval)
	}
}

// TestATickDecidedWithAnUpdateIsRecordedBeforeItIsSent: in a workflow task that handled an
// update, the tick's first attempt is a regular activity, which runs once the task is recorded;
// elsewhere it is a local activity. A local attempt in a task that the server then drops could
// have sent the tick's id with another tick's event.
func TestATickDecidedWithAnUpdateIsRecordedBeforeItIsSent(t *testing.T) {
	h := newHarness(t, answer{})
	trigger := h.update(t, s(15), UpdateTrigger)
	h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
	if trigger.rejected != nil || !trigger.done {
		t.Fatalf("trigger: %+v", trigger)
	}
	want := []bool{true, false, true} // tick 1 at 10 s, the trigger at 15 s, tick 3 at 20 s
	if len(h.got) != len(want) {
		t.Fatalf("sent %d ticks, want %d", len(h.got), len(want))
	}
	for i, d := range h.got {
		if d.local != want[i] {
			t.Errorf("tick %d (at +%v): local %v, want %v", d.tick.Sequence, d.at.Sub(t0), d.local, want[i])
		}
	}
}

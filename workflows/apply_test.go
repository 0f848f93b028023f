package workflows

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestDiffCoversEveryField: for every field of Config a spec can differ in, the diff of a
// source's recorded configuration and the spec names it, and its patch, applied, gives the spec;
// a source that is its spec gets an empty patch; FullPatch sets the field too. A new field of
// Config without a row here fails the test.
func TestDiffCoversEveryField(t *testing.T) {
	base := Config{Interval: s(10)}
	rows := map[string]struct {
		change func(*Config)
		field  string // the flag name the diff shows
	}{
		"Interval":                 {func(c *Config) { c.Interval = s(5) }, "interval"},
		"Cron":                     {func(c *Config) { c.Interval, c.Cron = 0, "*/5 * * * *" }, "cron"},
		"Timezone":                 {func(c *Config) { c.Interval, c.Cron, c.Timezone = 0, "0 9 * * *", "Europe/Paris" }, "timezone"},
		"ExtraCron":                {func(c *Config) { c.Interval, c.Cron, c.ExtraCron = 0, "0 9 * * *", []string{"0 17 * * *"} }, "more cron"},
		"SkipCron":                 {func(c *Config) { c.Interval, c.Cron, c.SkipCron = 0, "0 9 * * *", []string{"0 9 25 12 *"} }, "skip-cron"},
		"Jitter":                   {func(c *Config) { c.Jitter = s(1) }, "jitter"},
		"EndAt":                    {func(c *Config) { c.EndAt = t0.Add(time.Hour) }, "end-at"},
		"MaxTicks":                 {func(c *Config) { c.MaxTicks = 7 }, "max-ticks"},
		"Catchup":                  {func(c *Config) { c.Catchup = CatchupSkip }, "catchup"},
		"CatchupWindow":            {func(c *Config) { c.CatchupWindow = time.Minute }, "catchup-window"},
		"Type":                     {func(c *Config) { c.Type = "com.example.t" }, "type"},
		"Source":                   {func(c *Config) { c.Source = "urn:s" }, "source"},
		"Subject":                  {func(c *Config) { c.Subject = "sub" }, "subject"},
		"Extensions":               {func(c *Config) { c.Extensions = map[string]string{"team": "a"} }, "extension"},
		"Sink":                     {func(c *Config) { c.Sink = "http://sink.example" }, "sink"},
		"SinkCredential":           {func(c *Config) { c.SinkCredential = "cred" }, "sink-credential"},
		"DeadLetterSink":           {func(c *Config) { c.DeadLetterSink = "http://dls.example" }, "dead-letter-sink"},
		"DeadLetterSinkCredential": {func(c *Config) { c.DeadLetterSinkCredential = "dcred" }, "dead-letter-sink-credential"},
		"ContentMode":              {func(c *Config) { c.ContentMode = contract.Structured }, "content-mode"},
		"Data":                     {func(c *Config) { c.Data = []byte(`{"a":1}`) }, "data"},
		"DataContentType":          {func(c *Config) { c.Data, c.DataContentType = []byte("x"), "text/plain" }, "data"},
		"ContinueAsNewAfter":       {func(c *Config) { c.ContinueAsNewAfter = 50 }, "continue-as-new-after"},
		"PauseOnFailure":           {func(c *Config) { c.PauseOnFailure = 3 }, "pause-on-failure"},
		"Delivery":                 {func(c *Config) { c.Delivery = &DeliveryPolicy{Retry: ptr(int32(3)), Backoff: contract.Linear} }, "delivery"},
	}
	startOnly := []string{"StartAt", "SearchAttributes", "PauseReasonAttribute"}
	for i := range reflect.TypeFor[Config]().NumField() {
		name := reflect.TypeFor[Config]().Field(i).Name
		if _, ok := rows[name]; !ok && !slices.Contains(startOnly, name) {
			t.Errorf("Config.%s has no row: can apply change it?", name)
		}
	}
	for name, row := range rows {
		t.Run(name, func(t *testing.T) {
			want := base
			row.change(&want)
			if err := want.Validate(); err != nil {
				t.Fatalf("the row's config: %v", err)
			}
			d := Record(base).Diff(want)
			if !slices.ContainsFunc(d.Changes, func(c Change) bool { return c.Field == row.field }) {
				t.Errorf("changes %v do not name %s", d.Changes, row.field)
			}
			if got := d.Patch.Apply(base.withDefaults()); !configsEqual(got, want.withDefaults()) {
				t.Errorf("patched config\n %+v\nwant\n %+v", got, want.withDefaults())
			}
			if again := Record(want).Diff(want); !again.Patch.Empty() || len(again.Changes) > 0 {
				t.Errorf("a source that is its spec gets %v", again.Changes)
			}
			if got := FullPatch(want).Apply(base.withDefaults()); !configsEqual(got, want.withDefaults()) {
				t.Errorf("FullPatch gives\n %+v\nwant\n %+v", got, want.withDefaults())
			}
		})
	}
}

func configsEqual(a, b Config) bool {
	return reflect.DeepEqual(Record(a), Record(b)) && string(a.Data) == string(b.Data) && (a.Data == nil) == (b.Data == nil)
}

// TestDiffOfSchedulesAndSinks: the cases where one setting replaces another.
func TestDiffOfSchedulesAndSinks(t *testing.T) {
	tests := []struct {
		name      string
		have      Config
		want      Config
		changes   string
		startOnly string
	}{
		{"cron to interval drops the cron", Config{Cron: "0 9 * * *", Timezone: "Europe/Paris"}, Config{Interval: s(10)},
			`interval 0s -> 10s, cron "0 9 * * *" -> ""`, ""},
		{"interval to cron in a zone", Config{Interval: s(10)}, Config{Cron: "0 9 * * *", Timezone: "Europe/Paris"},
			`cron "" -> "0 9 * * *", timezone "" -> "Europe/Paris"`, ""},
		{"only the zone", Config{Cron: "0 9 * * *", Timezone: "Europe/Paris"}, Config{Cron: "0 9 * * *"},
			`timezone "Europe/Paris" -> ""`, ""},
		{"defaults are not differences", Config{Interval: s(10)}, Config{Interval: s(10), Type: DefaultType, Catchup: CatchupAll}, "", ""},
		{"a password recorded goes", Config{Interval: s(10), Sink: "http://u:secret@sink"}, Config{Interval: s(10), Sink: "http://sink"},
			`sink "http://u:xxxxx@sink" -> "http://sink"`, ""},
		{"the default payload again", Config{Interval: s(10), Data: []byte("{}")}, Config{Interval: s(10)},
			"data sha256:44136fa355b3 -> default", ""},
		{"start-at is only noted", Config{Interval: s(10), StartAt: t0}, Config{Interval: s(10), StartAt: t0.Add(time.Hour)},
			"", "start-at 2026-01-01T00:00:00Z -> 2026-01-01T01:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Record(tt.have).Diff(tt.want)
			if got := join(d.Changes); got != tt.changes {
				t.Errorf("changes %q, want %q", got, tt.changes)
			}
			if got := join(d.StartOnly); got != tt.startOnly {
				t.Errorf("start-only %q, want %q", got, tt.startOnly)
			}
			if tt.changes != "" {
				if got := d.Patch.Apply(tt.have.withDefaults()); Record(got).Diff(tt.want).Patch != (ConfigPatch{}) {
					t.Errorf("the patch leaves %v", Record(got).Diff(tt.want).Changes)
				}
			}
		})
	}
}

func join(changes []Change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// TestUpdateChangesTheSettingsOnlyApplyCouldBefore: the payload, content mode, dead-letter sink
// and end of a running source change from the next tick.
func TestUpdateChangesTheSettingsOnlyApplyCouldBefore(t *testing.T) {
	h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
		if tick.Sequence == 3 {
			return temporal.NewNonRetryableApplicationError("sink rejected the event: 400", contract.ErrRejected, nil,
				contract.Rejection{Sink: "http://sink", StatusCode: 400, Attempt: 1})
		}
		return nil
	}})
	data := Payload{Data: []byte("hi"), DataContentType: "text/plain"}
	u := h.update(t, s(15), UpdateConfig, ConfigPatch{Payload: &data, ContentMode: ptr(contract.Structured),
		DeadLetterSink: ptr("http://dls"), MaxTicks: ptr(int64(3))})
	st := h.finish(t, Input{Config: Config{Interval: s(10)}})
	if u.rejected != nil || u.err != nil {
		t.Fatalf("update: rejected %v, err %v", u.rejected, u.err)
	}
	checkSent(t, h.sent(), []sentTick{{1, s(10), s(10)}, {2, s(20), s(20)}, {3, s(30), s(30)}})
	if d := h.got[0].tick; d.Data != nil || d.ContentMode != contract.Binary {
		t.Errorf("tick 1: data %q, mode %s; want the default, binary", d.Data, d.ContentMode)
	}
	for _, d := range h.got[1:] {
		if string(d.tick.Data) != "hi" || d.tick.DataContentType != "text/plain" || d.tick.ContentMode != contract.Structured {
			t.Errorf("tick %d: data %q (%s), mode %s; want hi (text/plain), structured", d.tick.Sequence, d.tick.Data,
				d.tick.DataContentType, d.tick.ContentMode)
		}
	}
	if len(h.deadLetters) != 1 || h.deadLetters[0].Sink != "http://dls" {
		t.Errorf("dead letters %+v, want tick 3 posted to http://dls", h.deadLetters)
	}
	if !st.Finished || st.Sequence != 3 {
		t.Errorf("finished %v at tick %d, want finished at 3 (max-ticks)", st.Finished, st.Sequence)
	}
}

// TestUpdateRefusesAnEndAlreadyPassed: an end in the past, or fewer max ticks than the source has
// sent, is refused before it enters the history.
func TestUpdateRefusesAnEndAlreadyPassed(t *testing.T) {
	h := newHarness(t, answer{})
	past := h.update(t, s(25), UpdateConfig, ConfigPatch{EndAt: ptr(t0.Add(s(20)))})
	fewer := h.update(t, s(25)+time.Millisecond, UpdateConfig, ConfigPatch{MaxTicks: ptr(int64(1))})
	exactly := h.update(t, s(26), UpdateConfig, ConfigPatch{MaxTicks: ptr(int64(2))})
	st := h.finish(t, Input{Config: Config{Interval: s(10)}})
	for _, tt := range []struct {
		name string
		u    *updateResult
		want string
	}{{"end-at in the past", past, "invalid --end-at"}, {"max-ticks below", fewer, "invalid --max-ticks"}} {
		if tt.u.rejected == nil || !strings.Contains(tt.u.rejected.Error(), tt.want) {
			t.Errorf("%s: rejected %v, want %q", tt.name, tt.u.rejected, tt.want)
		}
	}
	if exactly.rejected != nil || st.Sequence != 2 {
		t.Errorf("max-ticks 2 after 2 ticks: rejected %v, ended at %d; want it to end the source at 2", exactly.rejected, st.Sequence)
	}
}

// TestApplySignalChangesTheSource: a patch sent as SignalApply applies as the update would; one
// that the update would refuse is ignored and the source goes on.
func TestApplySignalChangesTheSource(t *testing.T) {
	h := newHarness(t, answer{})
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalApply, ConfigPatch{Cron: ptr("not a cron")}) }, s(12))
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalApply, ConfigPatch{Interval: ptr(s(5))}) }, s(15))
	next := h.run(t, Input{Config: Config{Interval: s(10), ContinueAsNewAfter: 3}})
	checkSent(t, h.sent(), []sentTick{{1, s(10), s(10)}, {2, s(20), s(20)}, {3, s(25), s(25)}})
	if next.Config.Interval != s(5) || next.Config.Cron != "" {
		t.Errorf("carried interval %v, cron %q; want 5s and none", next.Config.Interval, next.Config.Cron)
	}
}

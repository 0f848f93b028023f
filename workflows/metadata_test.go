package workflows

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/internal/tzdb"
)

// queryWorkflowMetadata is the SDK's built-in query behind Temporal's "current details".
const queryWorkflowMetadata = "__temporal_workflow_metadata"

// detailsAt asks for the current details at offset on the workflow clock.
func (h *harness) detailsAt(t *testing.T, at time.Duration) *string {
	t.Helper()
	var details string
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(queryWorkflowMetadata)
		if err != nil {
			t.Errorf("query %s at %v: %v", queryWorkflowMetadata, at, err)
			return
		}
		var md sdkpb.WorkflowMetadata
		if err := v.Get(&md); err != nil {
			t.Errorf("decode the metadata at %v: %v", at, err)
			return
		}
		details = md.GetCurrentDetails()
	}, at)
	return &details
}

func TestCurrentDetailsFollowTheSource(t *testing.T) {
	// Interval 10 s; the sink fails tick 3's first attempt (retried after 1 s); paused from
	// 45 s to 65 s; the source ends after 6 ticks.
	h := newHarness(t, answer{err: func(n int, tick contract.Tick) error {
		if n == 2 {
			return temporal.NewApplicationError("sink answered 503", contract.ErrRetryable)
		}
		return nil
	}})
	summary := "cron source every 10s → http://u:xxxxx@sink (com.hello.cron-event from urn:hello-com:cron-source)\n\n"
	checks := []struct {
		at   time.Duration
		want []string
	}{
		{s(5), []string{summary, "- state: **running**\n", "- last sequence: 0\n", "- next fire time: 2026-01-01T00:00:10Z\n", "- delivered 0,"}},
		{s(15), []string{"- last sequence: 1\n", "- in flight: none\n", "- next fire time: 2026-01-01T00:00:20Z\n", "- delivered 1, retried 0,"}},
		{s(30) + 500*time.Millisecond, []string{"- last sequence: 2\n", "- in flight: tick 3, due 2026-01-01T00:00:30Z\n"}},
		{s(35), []string{"- last sequence: 3\n", "- in flight: none\n", "- delivered 3, retried 1,"}},
		{s(50), []string{summary, "- state: **paused (maintenance)**\n", "- last sequence: 4\n"}},
		{s(66), []string{"- state: **running**\n", "- last sequence: 6\n", "caught up 2"}},
	}
	got := make([]*string, len(checks))
	for i, c := range checks {
		got[i] = h.detailsAt(t, c.at)
	}
	h.update(t, s(45), UpdatePause, PauseRequest{Reason: "maintenance"})
	h.update(t, s(65), UpdateResume)
	h.finish(t, Input{Config: Config{Interval: s(10), Sink: "http://u:p4ss@sink", MaxTicks: 7}})
	for i, c := range checks {
		for _, w := range c.want {
			if !strings.Contains(*got[i], w) {
				t.Errorf("details at %v lack %q:\n%s", c.at, w, *got[i])
			}
		}
		if strings.Contains(*got[i], "p4ss") {
			t.Errorf("details at %v show the sink's password:\n%s", c.at, *got[i])
		}
	}
}

// upserts records the search attribute upserts of a workflow in the test environment.
type upserts struct {
	mu    sync.Mutex
	calls []string
}

func (u *upserts) record(h *harness) {
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.calls = append(u.calls, searchAttributesText(args.Get(0).(temporal.SearchAttributes)))
	}).Return(nil).Maybe()
}

func (u *upserts) all() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.calls...)
}

// searchAttributesText shows set values as name=value, sorted.
func searchAttributesText(sa temporal.SearchAttributes) string {
	var parts []string
	for k, v := range sa.GetUntypedValues() {
		parts = append(parts, fmt.Sprintf("%s=%v", k.GetName(), v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func TestSearchAttributesAreUpsertedOnlyWhenTheyChange(t *testing.T) {
	type control struct {
		at   time.Duration
		name string
		args []any
	}
	interval, typ, sinkURL := s(5), "com.example.other", "http://v:s3cret@other"
	controls := []control{
		{s(15), UpdatePause, []any{PauseRequest{}}},
		{s(17), UpdatePause, []any{PauseRequest{Reason: "again"}}}, // paused already: no change
		{s(25), UpdateResume, nil},
		{s(32), UpdateConfig, []any{ConfigPatch{Interval: &interval}}},
		{s(40), UpdateConfig, []any{ConfigPatch{Type: &typ}}}, // in no search attribute
		{s(44), UpdateTrigger, nil},
		{s(48), UpdateConfig, []any{ConfigPatch{Sink: &sinkURL}}},
	}
	cfg := Config{Interval: s(10), Sink: "http://u:p4ss@sink", MaxTicks: 8}
	controlUpserts := []string{
		"CronSourcePaused=true",
		"CronSourcePaused=false",
		"CronSourceSchedule=every 5s",
		"CronSourceSink=http://v:xxxxx@other",
	}
	tests := []struct {
		name string
		// flag is Config.SearchAttributes; started says whether the start request set them;
		// unversioned is a run whose controls a worker without the upserts handled, as a
		// replay of its history sees it: no search-attributes marker.
		flag, started, unversioned bool
		want                       []string
	}{
		{name: "without the flag, never", flag: false, started: false, want: nil},
		{name: "with the flag, on each change", flag: true, started: true, want: controlUpserts},
		{name: "with the flag but none at the start, at the start too", flag: true, started: false, want: append([]string{
			"CronSourcePaused=false CronSourceSchedule=every 10s CronSourceSink=http://u:xxxxx@sink",
		}, controlUpserts...)},
		{name: "with the flag in a run without the marker, never", flag: true, started: true, unversioned: true, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{})
			var u upserts
			u.record(h)
			if tt.unversioned {
				h.env.OnGetVersion(searchAttributesChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			c := cfg
			c.SearchAttributes = tt.flag
			if tt.started {
				if err := h.env.SetTypedSearchAttributesOnStart(StartSearchAttributes(Input{Config: c})); err != nil {
					t.Fatal(err)
				}
			}
			var results []*updateResult
			for _, ctl := range controls {
				results = append(results, h.update(t, ctl.at, ctl.name, ctl.args...))
			}
			h.finish(t, Input{Config: c})
			for i, r := range results {
				if r.rejected != nil || !r.done || r.err != nil {
					t.Fatalf("%s at %v: %+v", controls[i].name, controls[i].at, r)
				}
			}
			got := u.all()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("upserts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestSearchAttributeUpdates(t *testing.T) {
	payload := func(v any) *commonpb.Payload {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	nilPayload, err := converter.GetDefaultDataConverter().ToPayload(nil)
	if err != nil {
		t.Fatal(err)
	}
	current := map[string]*commonpb.Payload{
		searchattr.Sink: payload("http://u:xxxxx@sink"), searchattr.Schedule: payload("every 10s"),
		searchattr.Paused: payload(false), "Other": payload(1),
	}
	cron := Config{Cron: "0 9 * * *", Timezone: "Europe/Paris"}
	tests := []struct {
		name    string
		cfg     Config
		paused  bool
		reason  string
		current map[string]*commonpb.Payload
		want    []string // name=value, or name unset
	}{
		{name: "nothing changed", cfg: Config{Interval: s(10), Sink: "http://u:p4ss@sink"}, current: current},
		{name: "paused", cfg: Config{Interval: s(10), Sink: "http://u:p4ss@sink"}, paused: true, current: current,
			want: []string{"CronSourcePaused=true"}},
		{name: "to the worker's sink", cfg: Config{Interval: s(10)}, current: current, want: []string{"CronSourceSink unset"}},
		{name: "new schedule", cfg: Config{Cron: cron.Cron, Timezone: cron.Timezone, Sink: "http://u:p4ss@sink"}, current: current,
			want: []string{`CronSourceSchedule=on cron "0 9 * * *" (Europe/Paris)`}},
		{name: "none yet", cfg: Config{Interval: s(10)}, current: nil,
			want: []string{"CronSourceSchedule=every 10s", "CronSourcePaused=false"}},
		{name: "unset ones are missing", cfg: Config{Interval: s(10), Sink: "http://sink"},
			current: map[string]*commonpb.Payload{searchattr.Sink: nilPayload, searchattr.Schedule: payload("every 10s"), searchattr.Paused: payload(false)},
			want:    []string{"CronSourceSink=http://sink"}},
		{name: "paused with the reason attribute", cfg: Config{Interval: s(10), Sink: "http://u:p4ss@sink", PauseReasonAttribute: true},
			paused: true, reason: "sink maintenance", current: current,
			want: []string{"CronSourcePaused=true", "CronSourcePauseReason=sink maintenance"}},
		{name: "the reason without the attribute", cfg: Config{Interval: s(10), Sink: "http://u:p4ss@sink"},
			paused: true, reason: "sink maintenance", current: current, want: []string{"CronSourcePaused=true"}},
		{name: "resumed, the reason goes", cfg: Config{Interval: s(10), Sink: "http://u:p4ss@sink", PauseReasonAttribute: true},
			current: map[string]*commonpb.Payload{searchattr.Sink: payload("http://u:xxxxx@sink"), searchattr.Schedule: payload("every 10s"),
				searchattr.Paused: payload(true), searchattr.PauseReason: payload("sink maintenance")},
			want: []string{"CronSourcePaused=false", "CronSourcePauseReason unset"}},
		{name: "a value of another type is replaced", cfg: Config{Interval: s(10)},
			current: map[string]*commonpb.Payload{searchattr.Schedule: payload(10), searchattr.Paused: payload(false)},
			want:    []string{"CronSourceSchedule=every 10s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, u := range searchAttributeUpdates(tt.cfg.withDefaults(), State{Paused: tt.paused, PauseReason: tt.reason}, tt.current) {
				if u.unset {
					got = append(got, u.name+" unset")
					continue
				}
				got = append(got, searchAttributesText(temporal.NewSearchAttributes(u.update)))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("updates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestStartSearchAttributes(t *testing.T) {
	tests := []struct {
		in   Input
		want string
	}{
		{Input{Config: Config{Interval: s(1), Sink: "http://u:p4ss@sink"}}, "CronSourcePaused=false CronSourceSchedule=every 1s CronSourceSink=http://u:xxxxx@sink"},
		{Input{Config: Config{Cron: "@hourly"}}, `CronSourcePaused=false CronSourceSchedule=on cron "@hourly" (UTC)`},
		{Input{Config: Config{Interval: s(1)}, State: PausedAtStart("")}, "CronSourcePaused=true CronSourceSchedule=every 1s"},
	}
	for _, tt := range tests {
		if got := searchAttributesText(StartSearchAttributes(tt.in)); got != tt.want {
			t.Errorf("StartSearchAttributes(%+v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// BenchmarkCurrentDetails measures what each tick adds to its workflow task: the current
// details, built from a status with one next fire time, against building them from the full
// status with NextFireTimes.
func BenchmarkCurrentDetails(b *testing.B) {
	for _, cfg := range []Config{
		{Interval: time.Second, Sink: "http://u:p4ss@sink.example.com/in"},
		{Cron: "*/15 * * * * *", Timezone: "Europe/Paris", Sink: "http://u:p4ss@sink.example.com/in"},
	} {
		sched, err := newSchedule(cfg, t0, tzdb.Load)
		if err != nil {
			b.Fatal(err)
		}
		s := &source{cfg: cfg.withDefaults(), sched: sched, workflowID: "bench",
			state: State{Anchor: t0, Cursor: t0.Add(time.Hour), Sequence: 3600, Delivered: 3600}}
		name := strings.Fields(cfg.Schedule())[0]
		b.Run(name+"/details", func(b *testing.B) {
			for b.Loop() {
				_ = s.statusWith(1).CurrentDetails()
			}
		})
		b.Run(name+"/details-from-full-status", func(b *testing.B) {
			for b.Loop() {
				_ = s.status().CurrentDetails()
			}
		})
	}
}

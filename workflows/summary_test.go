package workflows

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSummary(t *testing.T) {
	long := "https://sink.example.com/" + strings.Repeat("very-long-path/", 20)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{
			name: "interval on the worker's sink, defaults",
			cfg:  Config{Interval: time.Second},
			want: "cron source every 1s → the worker's sink (com.hello.cron-event from urn:hello-com:cron-source)",
		},
		{
			name: "cron with a time zone, password masked",
			cfg: Config{Cron: "0 9 * * 1-5", Timezone: "Europe/Paris", Sink: "https://user:s3cret@sink.example.com/in",
				Type: "com.example.t", Source: "urn:x"},
			want: `cron source on cron "0 9 * * 1-5" (Europe/Paris) → https://user:xxxxx@sink.example.com/in (com.example.t from urn:x)`,
		},
		{
			name: "cron without a time zone is UTC",
			cfg:  Config{Cron: "@hourly", Sink: "http://sink"},
			want: `cron source on cron "@hourly" (UTC) → http://sink (com.hello.cron-event from urn:hello-com:cron-source)`,
		},
		{
			name: "too long for Temporal's limit is cut",
			cfg:  Config{Interval: time.Minute, Sink: long},
			want: ("cron source every 1m0s → " + long)[:maxSummary-len("…")] + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Summary()
			if got != tt.want {
				t.Errorf("Summary() =\n%s\nwant\n%s", got, tt.want)
			}
			if len(got) > maxSummary || !utf8.ValidString(got) || strings.Contains(got, "\n") {
				t.Errorf("Summary() is %d bytes, valid UTF-8 %v: want one line of at most %d", len(got), utf8.ValidString(got), maxSummary)
			}
			st := Status{Interval: durationText(tt.cfg.withDefaults().Interval), Cron: tt.cfg.Cron, Timezone: tt.cfg.Timezone}
			st.Type, st.Source = tt.cfg.withDefaults().Type, tt.cfg.withDefaults().Source
			st.Sink = strings.Replace(tt.cfg.Sink, ":s3cret@", ":xxxxx@", 1)
			if got := st.Summary(); got != tt.want {
				t.Errorf("Status.Summary() = %s, want the same line as Config.Summary()", got)
			}
		})
	}
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func TestDetails(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		want    []string
		notWant []string
	}{
		{
			name: "defaults",
			cfg:  Config{Interval: 10 * time.Second},
			want: []string{
				"- schedule: every 10s\n", "- catch-up: all\n", "- type: com.hello.cron-event\n",
				"- source: urn:hello-com:cron-source\n", "- sink: the worker's\n", "- dead-letter sink: none\n",
				"- content mode: binary\n", "- data: the default {\"Id\",\"JobId\"}\n", "- continues as new: every 500 ticks\n",
			},
			notWant: []string{"starts at", "ends at", "ends after", "jitter", "subject", "extensions"},
		},
		{
			name: "everything set, passwords masked",
			cfg: Config{Cron: "*/15 * * * * *", Timezone: "Europe/Paris", Jitter: 2 * time.Second,
				StartAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), EndAt: time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC),
				MaxTicks: 10, Catchup: CatchupLatest, CatchupWindow: 10 * time.Minute,
				Sink: "https://svc:hunter2@sink.example.com", DeadLetterSink: "https://dl:hunter3@dls.example.com",
				ContentMode: "structured", Data: []byte("tick"), DataContentType: "text/plain", ContinueAsNewAfter: 50,
				Subject: "hello", Extensions: map[string]string{"team": "payments", "region": "eu"}},
			want: []string{
				"- subject: hello\n", "- extensions: region=eu, team=payments\n",
				"- schedule: on cron \"*/15 * * * * *\" (Europe/Paris), jitter up to 2s\n",
				"- catch-up: latest, within 10m0s\n",
				"- starts at: 2026-12-01T08:00:00Z\n", "- ends at: 2026-12-24T18:00:00Z\n", "- ends after: 10 ticks\n",
				"- sink: https://svc:xxxxx@sink.example.com\n", "- dead-letter sink: https://dl:xxxxx@dls.example.com\n",
				"- content mode: structured\n", "- data: 4 bytes of text/plain\n", "- continues as new: every 50 ticks\n",
			},
			notWant: []string{"hunter"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Details()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Details() lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Details() has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestCurrentDetails(t *testing.T) {
	next := t0.Add(20 * time.Second)
	base := Status{Interval: "10s", Type: DefaultType, Source: DefaultSource, Sink: "http://u:xxxxx@sink",
		Sequence: 7, NextFireTime: &next, Delivered: 6, Rejected: 1, Retried: 3, DeadLettered: 1, CaughtUp: 2, Skipped: 4}
	with := func(change func(*Status)) Status {
		st := base
		change(&st)
		return st
	}
	summary := "cron source every 10s → http://u:xxxxx@sink (com.hello.cron-event from urn:hello-com:cron-source)\n\n"
	tests := []struct {
		name string
		st   Status
		want string
	}{
		{
			name: "running",
			st:   base,
			want: summary + "- state: **running**\n- last sequence: 7\n- in flight: none\n" +
				"- next fire time: 2026-01-01T00:00:20Z\n" +
				"- delivered 6, retried 3, rejected 1, dead-lettered 1, caught up 2, skipped 4\n",
		},
		{
			name: "paused with a tick in flight and extra ticks waiting",
			st: with(func(st *Status) {
				st.Paused, st.PauseReason = true, "maintenance"
				st.InFlight = &TickStatus{Sequence: 8, ID: "run-8", Time: t0.Add(10 * time.Second)}
				st.PendingTriggers = 2
			}),
			want: summary + "- state: **paused (maintenance)**\n- last sequence: 7\n" +
				"- in flight: tick 8, due 2026-01-01T00:00:10Z\n- next fire time: 2026-01-01T00:00:20Z\n" +
				"- extra ticks waiting: 2\n" +
				"- delivered 6, retried 3, rejected 1, dead-lettered 1, caught up 2, skipped 4\n",
		},
		{
			name: "stopping with a tick in flight",
			st: with(func(st *Status) {
				st.NextFireTime, st.Stopping = nil, true
				st.InFlight = &TickStatus{Sequence: 8, ID: "run-8", Time: t0.Add(10 * time.Second)}
			}),
			want: summary + "- state: **stopping**\n- last sequence: 7\n- in flight: tick 8, due 2026-01-01T00:00:10Z\n" +
				"- next fire time: none, the source is stopping\n" +
				"- delivered 6, retried 3, rejected 1, dead-lettered 1, caught up 2, skipped 4\n",
		},
		{
			name: "stopped",
			st:   with(func(st *Status) { st.NextFireTime, st.Stopping, st.Finished = nil, true, true }),
			want: summary + "- state: **stopped**\n- last sequence: 7\n- in flight: none\n" +
				"- next fire time: none, the source has ended\n" +
				"- delivered 6, retried 3, rejected 1, dead-lettered 1, caught up 2, skipped 4\n",
		},
		{
			name: "ended past its last tick",
			st:   with(func(st *Status) { st.NextFireTime, st.Finished = nil, true }),
			want: summary + "- state: **ended**\n- last sequence: 7\n- in flight: none\n" +
				"- next fire time: none, the source has ended\n" +
				"- delivered 6, retried 3, rejected 1, dead-lettered 1, caught up 2, skipped 4\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.CurrentDetails(); got != tt.want {
				t.Errorf("CurrentDetails() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		s     string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"ab→→→→", 7, "ab…"}, // never cuts a character in two
	}
	for _, tt := range tests {
		if got := clip(tt.s, tt.limit); got != tt.want || len(got) > tt.limit {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
		}
	}
}

package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/tzdb"
)

// TestCalendars: several --cron fire as their union, a time two of them share once, and no
// --skip-cron time fires; all are read in --timezone.
func TestCalendars(t *testing.T) {
	paris, err := tzdb.Load("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, paris) }
	tests := []struct {
		name string
		cfg  Config
		from time.Time
		want []time.Time
	}{
		{name: "union, a shared time once", cfg: Config{Cron: "0 9 * * *", ExtraCron: []string{"0 17 * * *", "0 9,17 * * *"}, Timezone: "Europe/Paris"},
			from: at(23, 12), want: []time.Time{at(23, 17), at(24, 9), at(24, 17), at(25, 9)}},
		{name: "a holiday skipped", cfg: Config{Cron: "0 9 * * *", ExtraCron: []string{"0 17 * * *"}, SkipCron: []string{"* * 25 12 *"},
			Timezone: "Europe/Paris"}, from: at(24, 12), want: []time.Time{at(24, 17), at(26, 9), at(26, 17)}},
		{name: "one time of one expression skipped", cfg: Config{Cron: "0 9 * * *", SkipCron: []string{"0 9 24 12 *"}, Timezone: "Europe/Paris"},
			from: at(23, 12), want: []time.Time{at(25, 9), at(26, 9)}},
		{name: "a single cron as before", cfg: Config{Cron: "0 9 * * *", Timezone: "Europe/Paris"},
			from: at(23, 12), want: []time.Time{at(24, 9), at(25, 9)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			sched, err := newSchedule(tt.cfg, time.Time{}, tzdb.Load)
			if err != nil {
				t.Fatal(err)
			}
			next := tt.from
			for i, want := range tt.want {
				next = sched.next(next)
				if !next.Equal(want) {
					t.Fatalf("fire time %d = %v, want %v", i+1, next, want)
				}
			}
		})
	}
}

func TestCalendarsAreValidated(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Cron: "0 9 * * *", SkipCron: []string{"0 9 * * *"}}, "never fires"},
		{Config{Cron: "0 9 * * *", SkipCron: []string{"0 9 31 2 *"}}, `invalid --skip-cron "0 9 31 2 *": never fires`},
		{Config{Cron: "0 9 * * *", ExtraCron: []string{"nope"}}, `invalid --cron "nope"`},
		{Config{Cron: "0 9 * * *", SkipCron: []string{"TZ=UTC 0 9 * * *"}}, "set the time zone with --timezone"},
		{Config{Interval: s(10), SkipCron: []string{"0 9 * * *"}}, "need a first --cron"},
		{Config{Cron: "0 9 * * *", ExtraCron: []string{"0 9 * * 1"}, Jitter: 2 * time.Hour}, "invalid --jitter"},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

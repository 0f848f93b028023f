package workflows

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	valid := Config{Interval: time.Second}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{name: "minimal", mod: func(*Config) {}},
		{name: "everything", mod: func(c *Config) {
			c.Type, c.Source, c.Sink, c.ContentMode, c.ContinueAsNewAfter = "t", "urn:x", "https://sink", "structured", 10
		}},
		{name: "min interval", mod: func(c *Config) { c.Interval = MinInterval }},
		{name: "short interval", mod: func(c *Config) { c.Interval = 99 * time.Millisecond }, wantErr: `invalid --interval "99ms": must be at least 100ms`},
		{name: "zero interval", mod: func(c *Config) { c.Interval = 0 }, wantErr: `invalid --interval "0s"`},
		{name: "bad sink", mod: func(c *Config) { c.Sink = "events:8080" }, wantErr: `invalid --sink "events:8080"`},
		{name: "bad source", mod: func(c *Config) { c.Source = "http://[::1" }, wantErr: `invalid --source`},
		{name: "bad mode", mod: func(c *Config) { c.ContentMode = "batch" }, wantErr: `invalid --content-mode "batch"`},
		{name: "negative CAN", mod: func(c *Config) { c.ContinueAsNewAfter = -1 }, wantErr: `invalid --continue-as-new-after "-1"`},
		{name: "max interval", mod: func(c *Config) { c.Interval = MaxInterval }},
		{name: "huge interval", mod: func(c *Config) { c.Interval = 1000000 * time.Hour }, wantErr: `invalid --interval "1000000h0m0s": must be at most`},
		{name: "start in year 9999", mod: func(c *Config) { c.StartAt = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) },
			wantErr: `invalid --start-at "9999-12-31T23:59:59Z": must be from 2000-01-01T00:00:00Z to before 2200-01-01T00:00:00Z`},
		{name: "end in year 9999", mod: func(c *Config) { c.EndAt = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }, wantErr: `invalid --end-at "9999-`},
		{name: "start in 1970", mod: func(c *Config) { c.StartAt = time.Unix(0, 0).UTC() }, wantErr: `invalid --start-at "1970-`},
		{name: "jitter 30m on a per-second cron", mod: func(c *Config) { c.Interval, c.Cron, c.Jitter = 0, "* * * * * *", 30*time.Minute },
			wantErr: `invalid --jitter "30m0s": must be less than the shortest time between two fire times of --cron, 1s`},
		{name: "jitter 30m on an hourly cron", mod: func(c *Config) { c.Interval, c.Cron, c.Jitter = 0, "@hourly", 30*time.Minute }},
		{name: "jitter 1h across the autumn DST change", mod: func(c *Config) {
			c.Interval, c.Cron, c.Timezone, c.Jitter = 0, "30 2 * * *", "Europe/Paris", time.Hour
		}, wantErr: `fire times of --cron, 1h0m0s`},
		{name: "jitter 1h daily in UTC", mod: func(c *Config) { c.Interval, c.Cron, c.Jitter = 0, "30 2 * * *", time.Hour }},
		{name: "jitter 59m across the autumn DST change", mod: func(c *Config) {
			c.Interval, c.Cron, c.Timezone, c.Jitter = 0, "30 2 * * *", "Europe/Paris", 59*time.Minute
		}},
		{name: "subject and extensions", mod: func(c *Config) {
			c.Subject, c.Extensions = "hello", map[string]string{"team": "payments", "region2": "", "knativeerrordest": "x"}
		}},
		{name: "extension name with capitals", mod: func(c *Config) { c.Extensions = map[string]string{"team": "a", "Team": "b"} },
			wantErr: `invalid --extension "Team": names may only use a-z and 0-9`},
		{name: "empty extension name", mod: func(c *Config) { c.Extensions = map[string]string{"": "b"} },
			wantErr: `invalid --extension "": names may only use a-z and 0-9`},
		{name: "extension replacing the id", mod: func(c *Config) { c.Extensions = map[string]string{"id": "1"} },
			wantErr: `invalid --extension "id": would replace an attribute the source sets`},
		{name: "extension replacing the sequence", mod: func(c *Config) { c.Extensions = map[string]string{"sequence": "1"} },
			wantErr: `invalid --extension "sequence": would replace an attribute the source sets`},
		{name: "extensions and subject at their bound", mod: func(c *Config) {
			c.Subject, c.Extensions = strings.Repeat("s", 4<<10), map[string]string{"big": strings.Repeat("v", 4<<10-3)}
		}},
		{name: "extensions and subject over their bound", mod: func(c *Config) {
			c.Subject, c.Extensions = strings.Repeat("s", 4<<10), map[string]string{"big": strings.Repeat("v", 4<<10-2)}
		}, wantErr: `invalid --extension "8193 bytes with --subject": the extensions and the subject must take at most 8192 bytes`},
		{name: "the machine's zone", mod: func(c *Config) { c.Interval, c.Cron, c.Timezone = 0, "@hourly", "Local" }, wantErr: `invalid --timezone "Local"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mod(&c)
			err := c.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigValidateStart(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no end", Config{Interval: time.Second}, ""},
		{"end after the first tick", Config{Interval: time.Minute, EndAt: now.Add(time.Hour)}, ""},
		{"end in the past", Config{Interval: time.Second, EndAt: now.Add(-time.Hour)}, `invalid --end-at "2026-12-01T08:00:00Z": is in the past`},
		{"end before the first interval", Config{Interval: time.Hour, EndAt: now.Add(time.Minute)},
			`invalid --end-at "2026-12-01T09:01:00Z": comes before the first tick, due 2026-12-01T10:00:00Z`},
		{"end before the first cron time", Config{Cron: "0 0 1 1 *", EndAt: now.Add(time.Hour)}, "comes before the first tick, due 2027-01-01T00:00:00Z"},
		{"start in the future, end after it", Config{Interval: time.Hour, StartAt: now.Add(time.Hour), EndAt: now.Add(time.Hour + time.Second)}, ""},
		{"invalid anyway", Config{Interval: time.Millisecond}, "invalid --interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.ValidateStart(now)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

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

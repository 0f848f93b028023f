package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/workflows"
)

// TestBadInputIsRefusedBeforeDialling runs the starter's commands with values that are refused
// before any connection: each gives one line naming the flag.
func TestBadInputIsRefusedBeforeDialling(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"blank id", []string{"start", "--workflow-id", "   "}, `invalid --workflow-id "   ": must not be empty or blank`},
		{"empty id", []string{"describe", "--workflow-id", ""}, `invalid --workflow-id "": must not be empty or blank`},
		{"spaces around the id", []string{"pause", "--workflow-id", "hello-cron "}, `invalid --workflow-id "hello-cron ": must not start or end with a space`},
		{"control character", []string{"stop", "--workflow-id", "a\x07b"}, `invalid --workflow-id "a\ab": must not hold control characters`},
		{"invalid UTF-8", []string{"resume", "--workflow-id", "a\xffb"}, `must be valid UTF-8`},
		{"too long", []string{"trigger", "--workflow-id", strings.Repeat("x", 1001)}, `must be at most 1000 bytes`},
		{"end in the past", []string{"start", "--end-at", "2020-01-01T00:00:00Z"}, `invalid --end-at "2020-01-01T00:00:00Z": is in the past`},
		{"start in year 9999", []string{"start", "--start-at", "9999-12-31T23:59:59Z"}, `invalid --start-at "9999-12-31T23:59:59Z": must be from`},
		{"huge interval", []string{"start", "--interval", "1000000h"}, `invalid --interval "1000000h0m0s": must be at most`},
		{"jitter on a per-second cron", []string{"start", "--cron", "* * * * * *", "--jitter", "30m"}, `invalid --jitter "30m0s"`},
		{"negative grace", []string{"stop", "--grace", "-1s"}, `invalid --grace -1s: must not be negative`},
		{"grace and now", []string{"stop", "--grace", "1s", "--now"}, `invalid --grace 1s: cannot be used with --now`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := newRootCommand(func(string) (string, bool) { return "", false }, &stdout, &stderr)
			// An address nothing listens on, and no time to wait: reaching the server fails the test.
			cmd.SetArgs(append(tt.args, "--address", "127.0.0.1:1", "--connect-timeout", "1ms"))
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestStopRequest(t *testing.T) {
	grace := func(d time.Duration) *time.Duration { return &d }
	tests := []struct {
		args []string
		want workflows.StopRequest
	}{
		{nil, workflows.StopRequest{Grace: grace(workflows.DefaultStopGrace)}},
		{[]string{"--grace", "10s"}, workflows.StopRequest{Grace: grace(10 * time.Second)}},
		{[]string{"--grace", "0s"}, workflows.StopRequest{Grace: grace(0)}},
		{[]string{"--now"}, workflows.StopRequest{Now: true}},
	}
	for _, tt := range tests {
		var f stopFlags
		fs := pflag.NewFlagSet("stop", pflag.ContinueOnError)
		f.add(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		got, err := f.request(fs)
		if err != nil || got.Now != tt.want.Now || (got.Grace == nil) != (tt.want.Grace == nil) ||
			(got.Grace != nil && *got.Grace != *tt.want.Grace) {
			t.Errorf("%v: request %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

package main

import (
	"bytes"
	"testing"
	"time"
)

// TestCommandTuning: the fleet levers take what the SDK can run, and refuse, naming the flag,
// what it would panic on (one poller) or silently round (a sticky timeout in part-seconds).
func TestCommandTuning(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" means accepted
	}{
		{name: "defaults"},
		{name: "a fleet's levers", args: []string{"--sticky-timeout", "30s", "--workflow-pollers", "16", "--workflow-cache-size", "60000"}},
		{name: "sticky timeout below a second", args: []string{"--sticky-timeout", "500ms"},
			wantErr: "invalid --sticky-timeout 500ms: must be whole seconds from 1s to 1h"},
		{name: "sticky timeout in part-seconds", args: []string{"--sticky-timeout", "1500ms"},
			wantErr: "invalid --sticky-timeout 1.5s: must be whole seconds from 1s to 1h"},
		{name: "sticky timeout absurd", args: []string{"--sticky-timeout", "87600h"},
			wantErr: "invalid --sticky-timeout 87600h0m0s: must be whole seconds from 1s to 1h"},
		{name: "one poller", args: []string{"--workflow-pollers", "1"},
			wantErr: "invalid --workflow-pollers 1: must be from 2 to 1024"},
		{name: "no cache", args: []string{"--workflow-cache-size", "0"},
			wantErr: "invalid --workflow-cache-size 0: must be from 1 to 10000000"},
		{name: "negative cache", args: []string{"--workflow-cache-size", "-5"},
			wantErr: "invalid --workflow-cache-size -5: must be from 1 to 10000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runCommand(t, tt.args, nil, &stderr)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			checkRefused(t, err, stderr.String(), tt.wantErr)
		})
	}
}

func TestTuningOptions(t *testing.T) {
	opts := tuning{stickyTimeout: 30 * time.Second, pollers: 16, cacheSize: 10000}.options()
	if opts.StickyScheduleToStartTimeout != 30*time.Second || opts.MaxConcurrentWorkflowTaskPollers != 16 {
		t.Errorf("options = sticky %v, pollers %d; want 30s, 16", opts.StickyScheduleToStartTimeout, opts.MaxConcurrentWorkflowTaskPollers)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebUIPort(t *testing.T) {
	tests := []struct {
		name     string
		port     int
		uiPort   int
		set      bool
		headless bool
		want     int
		wantErr  string // empty: no error; otherwise a part of it
	}{
		{name: "default is --port + 1000", port: 7233, want: 8233},
		{name: "default follows --port", port: 17233, want: 18233},
		{name: "default above 65535", port: 65000, wantErr: "invalid --ui-port: the default, --port 65000 + 1000, is above 65535"},
		{name: "explicit", port: 7233, uiPort: 9000, set: true, want: 9000},
		{name: "explicit zero", port: 7233, uiPort: 0, set: true, wantErr: "invalid --ui-port 0: must be 1 to 65535"},
		{name: "explicit above 65535", port: 7233, uiPort: 70000, set: true, wantErr: "invalid --ui-port 70000: must be 1 to 65535"},
		{name: "same as --port", port: 7233, uiPort: 7233, set: true, wantErr: "invalid --ui-port 7233: must differ from --port"},
		{name: "headless needs none", port: 65000, headless: true, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webUIPort(tt.port, tt.uiPort, tt.set, tt.headless)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("webUIPort: %v, want %d", err, tt.want)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("webUIPort = %d, %v; want error %q", got, err, tt.wantErr)
			case got != tt.want:
				t.Errorf("webUIPort = %d, want %d", got, tt.want)
			}
		})
	}
}

// The Web UI is read-only unless --ui-write-actions: its settings tell the page to hide the
// write actions (webui's tests show that its API refuses them too).
func TestUIWriteActionsFlag(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantDisabled bool
	}{
		{name: "default", wantDisabled: true},
		{name: "--ui-write-actions", args: []string{"--ui-write-actions"}, wantDisabled: false},
		{name: "--ui-write-actions=false", args: []string{"--ui-write-actions=false"}, wantDisabled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uiPort := freePort(t)
			dev := startDevserver(t, append([]string{"--ephemeral", "--port", fmt.Sprint(freePort(t)),
				"--ui-port", fmt.Sprint(uiPort)}, tt.args...)...)
			defer dev.stop(t)
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/settings", uiPort))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var settings struct{ DisableWriteActions bool }
			if err := json.NewDecoder(resp.Body).Decode(&settings); err != nil {
				t.Fatalf("GET /api/v1/settings: %d: %v", resp.StatusCode, err)
			}
			if settings.DisableWriteActions != tt.wantDisabled {
				t.Errorf("DisableWriteActions = %v, want %v", settings.DisableWriteActions, tt.wantDisabled)
			}
		})
	}
}

func TestUIWriteActionsNeedsTheUI(t *testing.T) {
	cmd := newCommand(io.Discard, io.Discard)
	cmd.SetArgs([]string{"--ephemeral", "--headless", "--ui-write-actions"})
	err := cmd.ExecuteContext(context.Background())
	if want := "invalid --ui-write-actions: cannot be used with --headless"; err == nil || err.Error() != want {
		t.Fatalf("devserver --headless --ui-write-actions: %v, want %q", err, want)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
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
		{name: "explicit zero is a free port", port: 7233, uiPort: 0, set: true, want: 0},
		{name: "--port 0 gives a free port too", port: 0, want: 0},
		{name: "--port 0 and explicit", port: 0, uiPort: 9000, set: true, want: 9000},
		{name: "--port 0 and explicit zero", port: 0, uiPort: 0, set: true, want: 0},
		{name: "explicit negative", port: 7233, uiPort: -1, set: true, wantErr: "invalid --ui-port -1: must be 0 to 65535"},
		{name: "explicit above 65535", port: 7233, uiPort: 70000, set: true, wantErr: "invalid --ui-port 70000: must be 0 to 65535"},
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
			dev := startDevserver(t, append([]string{"--ephemeral", "--port", "0"}, tt.args...)...)
			defer dev.stop(t)
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(dev.uiURL(t) + "/api/v1/settings")
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

// Bad ports, retentions and cache sizes are refused in one line naming the flag, before anything starts.
func TestCommandRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "negative --port", args: []string{"--port", "-1"}, want: "invalid --port -1: must be 0 to 65535"},
		{name: "--port above 65535", args: []string{"--port", "65536"}, want: "invalid --port 65536: must be 0 to 65535"},
		{name: "negative --ui-port", args: []string{"--port", "0", "--ui-port", "-1"}, want: "invalid --ui-port -1: must be 0 to 65535"},
		{name: "--ui-port with --headless", args: []string{"--port", "0", "--headless", "--ui-port", "0"},
			want: "invalid --ui-port: cannot be used with --headless"},
		{name: "--retention below Temporal's minimum", args: []string{"--retention", "30m"},
			want: "invalid --retention 30m0s: must be from 1h0m0s to 8784h0m0s"},
		{name: "--retention absurd", args: []string{"--retention", "87600h"},
			want: "invalid --retention 87600h0m0s: must be from 1h0m0s to 8784h0m0s"},
		{name: "no --history-cache-size", args: []string{"--history-cache-size", "0"},
			want: "invalid --history-cache-size 0: must be from 1 to 10000000"},
		{name: "absurd --history-cache-size", args: []string{"--history-cache-size", "99999999999"},
			want: "invalid --history-cache-size 99999999999: must be from 1 to 10000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := newCommand(&stdout, &stderr)
			cmd.SetArgs(append([]string{"--ephemeral"}, tt.args...))
			err := cmd.ExecuteContext(t.Context())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("devserver %v: %v, want %q", tt.args, err, tt.want)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("devserver %v printed stdout %q, stderr %q; want nothing", tt.args, stdout.String(), stderr.String())
			}
		})
	}
}

// Two devservers started at once with --port 0 each get free ports of their own, for the
// frontend and for the Web UI, show them on their ready lines, and answer on them.
func TestPortZero(t *testing.T) {
	devs := []*server{
		launchDevserver(t, "--ephemeral", "--port", "0"),
		launchDevserver(t, "--ephemeral", "--port", "0"),
	}
	seen := map[string]bool{}
	for _, dev := range devs {
		dev.waitReady(t)
		addr, ui := dev.addr(t), dev.uiURL(t)
		uiAddr := strings.TrimPrefix(ui, "http://")
		for _, hostPort := range []string{addr, uiAddr} {
			host, port, err := net.SplitHostPort(hostPort)
			if err != nil || host != "127.0.0.1" || port == "0" {
				t.Errorf("ready line %q: address %q, want 127.0.0.1 and a port", dev.stdout, hostPort)
			}
			if seen[port] {
				t.Errorf("port %s shown twice: %q", port, devs[0].stdout.String()+devs[1].stdout.String())
			}
			seen[port] = true
		}
		health := newCommand(io.Discard, io.Discard)
		health.SetArgs([]string{"health", "--address", addr})
		if err := health.ExecuteContext(t.Context()); err != nil {
			t.Errorf("devserver health --address %s: %v", addr, err)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(ui + "/api/v1/settings")
		if err != nil {
			t.Fatalf("Web UI at %s: %v", ui, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s/api/v1/settings: %d, want 200", ui, resp.StatusCode)
		}
	}
}

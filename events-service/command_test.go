package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/cmdtest"
)

func TestCommandRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "port too large", args: []string{"--port", "70000"}, wantErr: "invalid --port 70000: must be 0 to 65535"},
		{name: "negative port", args: []string{"--port", "-1"}, wantErr: "invalid --port -1: must be 0 to 65535"},
		{name: "PORT not a number", env: map[string]string{"PORT": "abc"}, wantErr: `invalid PORT "abc"`},
		{name: "PORT too large", env: map[string]string{"PORT": "70000"}, wantErr: "invalid PORT 70000: must be 0 to 65535"},
		{name: "--port not a number", args: []string{"--port", "abc"}, wantErr: `"--port"`},
		{name: "negative dedupe size", args: []string{"--port", "0", "--dedupe-size", "-1"}, wantErr: "invalid --dedupe-size -1: must be 0 (off) or more"},
		{name: "--dedupe-size not a number", args: []string{"--port", "0", "--dedupe-size", "many"}, wantErr: `"--dedupe-size"`},
		{name: "DEDUPE_SIZE negative", args: []string{"--port", "0"}, env: map[string]string{"DEDUPE_SIZE": "-5"}, wantErr: "invalid DEDUPE_SIZE -5: must be 0 (off) or more"},
		{name: "DEDUPE_SIZE not a number", args: []string{"--port", "0"}, env: map[string]string{"DEDUPE_SIZE": "many"}, wantErr: `invalid DEDUPE_SIZE "many"`},
		{
			name: "--dedupe-size beats DEDUPE_SIZE", args: []string{"--port", "0", "--dedupe-size", "-1"},
			env: map[string]string{"DEDUPE_SIZE": "5"}, wantErr: "invalid --dedupe-size -1: must be 0 (off) or more",
		},
		{name: "max in flight 0", args: []string{"--port", "0", "--max-in-flight", "0"}, wantErr: "invalid --max-in-flight 0: must be at least 1"},
		{name: "MAX_IN_FLIGHT negative", args: []string{"--port", "0"}, env: map[string]string{"MAX_IN_FLIGHT": "-3"}, wantErr: "invalid MAX_IN_FLIGHT -3: must be at least 1"},
		{name: "MAX_IN_FLIGHT not a number", args: []string{"--port", "0"}, env: map[string]string{"MAX_IN_FLIGHT": "lots"}, wantErr: `invalid MAX_IN_FLIGHT "lots"`},
		{
			name: "--max-in-flight beats MAX_IN_FLIGHT", args: []string{"--port", "0", "--max-in-flight", "0"},
			env: map[string]string{"MAX_IN_FLIGHT": "5"}, wantErr: "invalid --max-in-flight 0: must be at least 1",
		},
		{
			name: "max buffered bytes under 1 MiB", args: []string{"--port", "0", "--max-buffered-bytes", "1048575"},
			wantErr: "invalid --max-buffered-bytes 1048575: must be at least 1048576 (1 MiB), so that one full event fits",
		},
		{
			name: "MAX_BUFFERED_BYTES under 1 MiB", args: []string{"--port", "0"}, env: map[string]string{"MAX_BUFFERED_BYTES": "0"},
			wantErr: "invalid MAX_BUFFERED_BYTES 0: must be at least 1048576 (1 MiB)",
		},
		{name: "MAX_BUFFERED_BYTES with a unit", args: []string{"--port", "0"}, env: map[string]string{"MAX_BUFFERED_BYTES": "32MiB"}, wantErr: `invalid MAX_BUFFERED_BYTES "32MiB"`},
		{name: "--max-buffered-bytes not a number", args: []string{"--port", "0", "--max-buffered-bytes", "big"}, wantErr: `"--max-buffered-bytes"`},
		{name: "host with a port", args: []string{"--port", "0", "--host", "127.0.0.1:80"}, wantErr: `invalid --host "127.0.0.1:80": want an IP address or a host name, without a port`},
		{name: "HOST with a space", args: []string{"--port", "0"}, env: map[string]string{"HOST": "local host"}, wantErr: `invalid HOST "local host": want an IP address`},
		{name: "HOST a URL", args: []string{"--port", "0"}, env: map[string]string{"HOST": "http://x"}, wantErr: `invalid HOST "http://x"`},
		{name: "bad log level", args: []string{"--port", "0", "--log-level", "verbose"}, wantErr: `invalid --log-level "verbose"`},
		{name: "bad log format", args: []string{"--port", "0", "--log-format", "xml"}, wantErr: `invalid --log-format "xml"`},
		{name: "positional arg", args: []string{"extra"}, wantErr: `"extra"`},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "--nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A cancelled context: should a row wrongly pass validation, the command stops at
			// once and returns nil instead of serving until the test times out.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			var stdout, stderr bytes.Buffer
			cmd := newRootCommand(cmdtest.Lookup(tt.env), &stdout, &stderr)
			cmd.SetArgs(append([]string{}, tt.args...))
			err := cmd.ExecuteContext(ctx)
			if err == nil {
				t.Fatalf("err = nil, want one containing %q", tt.wantErr)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.wantErr) || strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line containing %q", msg, tt.wantErr)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("command printed stdout %q, stderr %q; want nothing", stdout.String(), stderr.String())
			}
		})
	}
}

func TestCommandDedupeSize(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{name: "default", want: 10000},
		{name: "flag", args: []string{"--dedupe-size", "3"}, want: 3},
		{name: "flag 0 turns it off", args: []string{"--dedupe-size", "0"}, want: 0},
		{name: "env", env: map[string]string{"DEDUPE_SIZE": "5"}, want: 5},
		{name: "env 0 turns it off", env: map[string]string{"DEDUPE_SIZE": "0"}, want: 0},
		{name: "empty env is unset", env: map[string]string{"DEDUPE_SIZE": ""}, want: 10000},
		{name: "flag beats env", args: []string{"--dedupe-size", "3"}, env: map[string]string{"DEDUPE_SIZE": "7"}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := listeningLine(t, tt.args, tt.env)
			if got := line["dedupe_size"]; got != float64(tt.want) {
				t.Errorf("listening dedupe_size = %v, want %d", got, tt.want)
			}
		})
	}
}

func TestCommandLimitsAndHost(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		env          map[string]string
		wantInFlight int
		wantBytes    int64
		wantHost     string // of the listening address; "" for every interface
	}{
		{name: "defaults", wantInFlight: 64, wantBytes: 32 << 20, wantHost: ""},
		{name: "flags", args: []string{"--max-in-flight", "8", "--max-buffered-bytes", "8388608", "--host", "127.0.0.1"},
			wantInFlight: 8, wantBytes: 8 << 20, wantHost: "127.0.0.1"},
		{name: "env", env: map[string]string{"MAX_IN_FLIGHT": "9", "MAX_BUFFERED_BYTES": "1048576", "HOST": "127.0.0.1"},
			wantInFlight: 9, wantBytes: 1 << 20, wantHost: "127.0.0.1"},
		{name: "empty env is unset", env: map[string]string{"MAX_IN_FLIGHT": "", "MAX_BUFFERED_BYTES": "", "HOST": ""},
			wantInFlight: 64, wantBytes: 32 << 20, wantHost: ""},
		{name: "flags beat env", args: []string{"--max-in-flight", "2", "--max-buffered-bytes", "2097152", "--host", "127.0.0.1"},
			env:          map[string]string{"MAX_IN_FLIGHT": "0", "MAX_BUFFERED_BYTES": "1", "HOST": "host:80"},
			wantInFlight: 2, wantBytes: 2 << 20, wantHost: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := listeningLine(t, tt.args, tt.env)
			if got := line["max_in_flight"]; got != float64(tt.wantInFlight) {
				t.Errorf("listening max_in_flight = %v, want %d", got, tt.wantInFlight)
			}
			if got := line["max_buffered_bytes"]; got != float64(tt.wantBytes) {
				t.Errorf("listening max_buffered_bytes = %v, want %d", got, tt.wantBytes)
			}
			addr, _ := line["addr"].(string)
			host, _, err := net.SplitHostPort(addr)
			if tt.wantHost == "" && (host == "::" || host == "0.0.0.0") {
				host = ""
			}
			if err != nil || host != tt.wantHost {
				t.Errorf("listening addr = %q, want host %q", addr, tt.wantHost)
			}
		})
	}
}

// listeningLine runs the command on port 0 with a cancelled context, so that it validates,
// listens, logs and stops at once, and returns its "listening" log line.
func listeningLine(t *testing.T, args []string, env map[string]string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stderr bytes.Buffer
	cmd := newRootCommand(cmdtest.Lookup(env), io.Discard, &stderr)
	cmd.SetArgs(append([]string{"--port", "0"}, args...))
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
	line, ok := cmdtest.FindLog(stderr.String(), "listening")
	if !ok {
		t.Fatalf("no \"listening\" line in logs:\n%s", stderr.String())
	}
	return line
}

func TestCommandServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &cmdtest.SyncBuffer{}
	cmd := newRootCommand(cmdtest.Lookup(map[string]string{"PORT": "abc"}), io.Discard, logs) // --port beats PORT
	cmd.SetArgs([]string{"--port", "0", "--log-level", "info"})
	var runErr error
	done := make(chan struct{}) // closed once the command has returned runErr
	go func() {
		defer close(done)
		runErr = cmd.ExecuteContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("command still running at cleanup")
		}
	})

	line := waitForLog(t, logs, done, &runErr, "listening")
	addr, _ := line["addr"].(string)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listening addr %q: %v", addr, err)
	}
	base := "http://" + net.JoinHostPort("localhost", port) + "/"
	client := &http.Client{Timeout: 5 * time.Second}

	res, err := client.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "Hello World!" {
		t.Fatalf("GET / = %d %q", res.StatusCode, body)
	}

	post := func() (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base, strings.NewReader(`{"n":3}`))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{
			"ce-specversion": "1.0", "ce-id": "tick-3", "ce-source": "/cronsources/hello",
			"ce-type": "dev.hello-cron.tick", "ce-sequence": "3", "Content-Type": "application/json",
		} {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if status, body := post(); status != http.StatusOK || body != "Processed" {
		t.Fatalf("POST / = %d %q", status, body)
	}
	ev := waitForLog(t, logs, done, &runErr, "event received")
	for k, want := range map[string]string{"id": "tick-3", "sequence": "3", "data": `{"n":3}`} {
		if ev[k] != want {
			t.Errorf("event log %s = %v, want %q", k, ev[k], want)
		}
	}
	if status, body := post(); status != http.StatusOK || body != "Duplicate" {
		t.Fatalf("second POST / = %d %q, want 200 \"Duplicate\"", status, body)
	}
	dup := waitForLog(t, logs, done, &runErr, "duplicate event ignored")
	for k, want := range map[string]string{"id": "tick-3", "source": "/cronsources/hello", "sequence": "3"} {
		if dup[k] != want {
			t.Errorf("duplicate log %s = %v, want %q", k, dup[k], want)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"event received"`); n != 1 {
		t.Errorf("%d \"event received\" lines, want 1:\n%s", n, logs.String())
	}

	cancel()
	select {
	case <-done:
		if runErr != nil {
			t.Fatalf("command returned %v, want nil", runErr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("command did not return after cancel")
	}
	if _, ok := cmdtest.FindLog(logs.String(), "stopped"); !ok {
		t.Errorf("no \"stopped\" line in logs:\n%s", logs.String())
	}
}

// waitForLog polls the JSON log output until a line with msg appears, failing on a deadline
// or if the command returns first (done closed, with its error in *runErr).
func waitForLog(t *testing.T, logs *cmdtest.SyncBuffer, done <-chan struct{}, runErr *error, msg string) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if line, ok := cmdtest.FindLog(logs.String(), msg); ok {
			return line
		}
		select {
		case <-done:
			t.Fatalf("command returned %v before logging %q; logs:\n%s", *runErr, msg, logs.String())
		case <-deadline:
			t.Fatalf("no %q log line within 10s; logs:\n%s", msg, logs.String())
		case <-tick.C:
		}
	}
}

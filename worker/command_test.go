package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hello-cron/cronsource/internal/cmdtest"
)

func TestCommandRejectsBadAddress(t *testing.T) {
	const hint = "must be host:port, such as 127.0.0.1:7233"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "--address not an address", args: []string{"--address", "not an address"},
			wantErr: `invalid --address "not an address": ` + hint},
		{name: "TEMPORAL_ADDRESS not an address", env: map[string]string{"TEMPORAL_ADDRESS": "not an address"},
			wantErr: `invalid TEMPORAL_ADDRESS "not an address": ` + hint},
		{name: "TEMPORAL_ADDRESS with port 0", env: map[string]string{"TEMPORAL_ADDRESS": "temporal:0"},
			wantErr: `invalid TEMPORAL_ADDRESS "temporal:0": ` + hint},
		{name: "--address with an empty host", args: []string{"--address", ":7233"},
			wantErr: `invalid --address ":7233": ` + hint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runCommand(t, tt.args, tt.env, &stderr)
			checkRefused(t, err, stderr.String(), tt.wantErr)
		})
	}
}

// TestCommandOIDCTokenFile: a token file that exists must be a regular file, or a link to one as
// in a Kubernetes projected volume, that can be read; one that does not exist is fine (Knative
// mounts it only when OIDC is on), and "" turns it off.
func TestCommandOIDCTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("sekret-token\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	symlink := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := write("token", 0o400)
	unreadable := write("unreadable", 0o000)
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	linkToToken := symlink("link-to-token", token)
	linkToNothing := symlink("link-to-nothing", filepath.Join(dir, "gone"))
	linkToDir := symlink("link-to-dir", dir)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	underFile := filepath.Join(token, "token")

	tests := []struct {
		name    string
		file    *string // nil: the flag is not given
		skip    string  // why the row cannot run here, "" if it can
		wantErr string  // a prefix; "" means accepted
	}{
		{name: "default"},
		{name: "off", file: new("")},
		{name: "missing", file: new(filepath.Join(dir, "missing"))},
		{name: "link to nothing", file: &linkToNothing},
		{name: "readable file", file: &token},
		{name: "empty file (being written)", file: &empty},
		{name: "link to a readable file", file: &linkToToken},
		{name: "directory", file: &dir,
			wantErr: `invalid --oidc-token-file "` + dir + `": is a directory, not a file`},
		{name: "link to a directory", file: &linkToDir,
			wantErr: `invalid --oidc-token-file "` + linkToDir + `": is a directory, not a file`},
		{name: "named pipe", file: &fifo,
			wantErr: `invalid --oidc-token-file "` + fifo + `": is not a regular file but a named pipe`},
		{name: "device", file: new(os.DevNull),
			wantErr: `invalid --oidc-token-file "/dev/null": is not a regular file but a device`},
		{name: "under a file", file: &underFile,
			wantErr: `invalid --oidc-token-file "` + underFile + `": stat ` + underFile + ": not a directory"},
		{name: "unreadable", file: &unreadable, skip: readableAnyway(unreadable),
			wantErr: `invalid --oidc-token-file "` + unreadable + `": open ` + unreadable + ": permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			var args []string
			if tt.file != nil {
				args = []string{"--oidc-token-file", *tt.file}
			}
			var stderr bytes.Buffer
			err := runCommand(t, args, nil, &stderr)
			if strings.Contains(fmt.Sprint(err), "sekret") || strings.Contains(stderr.String(), "sekret") {
				t.Errorf("the token shows: err %v, logs:\n%s", err, stderr.String())
			}
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

// TestCommandSinkPolicy: --allowed-sinks, --oidc-token-origins and --sink-credentials, or their
// variables, are checked at start: a bad one gives one line naming the flag or variable, with no
// secret in it (a password or token put in an origin by mistake, a credential's files).
func TestCommandSinkPolicy(t *testing.T) {
	const secret, token = "pa55-s3cret", "t0k3n"
	dir := t.TempDir()
	credential := func(folder, name string, files map[string]string) string {
		return cmdtest.WriteCredential(t, filepath.Join(dir, folder), name, files)
	}
	good := credential("good", "broker", map[string]string{"origin": "https://broker.example.com", "username": "cron", "password": secret})
	malformed := credential("malformed", "broken", map[string]string{"origin": "https://broker.example.com", "password": secret})
	badOrigin := credential("bad-origin", "broken", map[string]string{"origin": "https://cron:" + secret + "@broker.example.com", "token": token})
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // a prefix; "" means accepted
	}{
		{name: "allowed sinks and credentials", args: []string{"--allowed-sinks", "https://broker.example.com, http://localhost:8080",
			"--oidc-token-origins", "https://broker.example.com", "--sink-credentials", good}},
		{name: "--allowed-sinks not http", args: []string{"--allowed-sinks", "ftp://broker"},
			wantErr: `invalid --allowed-sinks: entry "ftp://broker": must be an http or https URL`},
		{name: "--allowed-sinks with a path", args: []string{"--allowed-sinks", "https://broker.example.com/in"},
			wantErr: `invalid --allowed-sinks: entry "https://broker.example.com/in": must be an origin only`},
		{name: "--allowed-sinks with a password", args: []string{"--allowed-sinks", "https://cron:" + secret + "@broker.example.com"},
			wantErr: `invalid --allowed-sinks: entry "https://cron:xxxxx@broker.example.com": must be an origin only`},
		{name: "ALLOWED_SINKS not a URL", env: map[string]string{"ALLOWED_SINKS": "broker"},
			wantErr: `invalid ALLOWED_SINKS: entry "broker": must be an http or https URL`},
		{name: "--allowed-sinks beats ALLOWED_SINKS", args: []string{"--allowed-sinks", "https://broker.example.com"},
			env: map[string]string{"ALLOWED_SINKS": "broker"}},
		{name: "--oidc-token-origins with a path", args: []string{"--oidc-token-origins", "https://broker.example.com/in"},
			wantErr: `invalid --oidc-token-origins: entry "https://broker.example.com/in": must be an origin only`},
		{name: "OIDC_TOKEN_ORIGINS with a token", env: map[string]string{"OIDC_TOKEN_ORIGINS": "https://" + token + "@broker.example.com"},
			wantErr: `invalid OIDC_TOKEN_ORIGINS: entry "https://xxxxx@broker.example.com": must be an origin only`},
		{name: "--sink-credentials missing", args: []string{"--sink-credentials", missing},
			wantErr: `invalid --sink-credentials "` + missing + `": read the folder: open ` + missing + `: no such file or directory`},
		{name: "SINK_CREDENTIALS missing", env: map[string]string{"SINK_CREDENTIALS": missing},
			wantErr: `invalid SINK_CREDENTIALS "` + missing + `": read the folder`},
		{name: "--sink-credentials with a malformed credential", args: []string{"--sink-credentials", malformed},
			wantErr: `invalid --sink-credentials "` + malformed + `": sink credential "broken": needs both username and password`},
		{name: "SINK_CREDENTIALS with a password in an origin", env: map[string]string{"SINK_CREDENTIALS": badOrigin},
			wantErr: `invalid SINK_CREDENTIALS "` + badOrigin + `": sink credential "broken": file origin: entry "https://cron:xxxxx@`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runCommand(t, tt.args, tt.env, &stderr)
			for _, s := range []string{secret, token} {
				if strings.Contains(fmt.Sprint(err), s) || strings.Contains(stderr.String(), s) {
					t.Errorf("%q shows: err %v, logs:\n%s", s, err, stderr.String())
				}
			}
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

// checkRefused checks that the command refused its input with one line starting wantErr, and
// logged nothing before.
func checkRefused(t *testing.T, err error, logged, wantErr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want one starting %q", wantErr)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, wantErr) || strings.Contains(msg, "\n") {
		t.Errorf("err = %q, want one line starting %q", msg, wantErr)
	}
	if logged != "" {
		t.Errorf("command logged %q before refusing its input; want nothing", logged)
	}
}

// runCommand runs the worker command with args, no metrics endpoint and a cancelled context: a
// command that gets past validation stops at once, at its dial, and returns nil.
func runCommand(t *testing.T, args []string, env map[string]string, stderr *bytes.Buffer) error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	cmd := newCommand(cmdtest.Lookup(env), stderr)
	cmd.SetArgs(append([]string{"--metrics-addr", "", "--log-format", "json"}, args...))
	return cmd.ExecuteContext(ctx)
}

// readableAnyway says why a file with mode 000 can be read here (root, say), "" if it cannot.
func readableAnyway(file string) string {
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
		return "this user reads files whatever their mode (root?)"
	}
	return ""
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/workflows"
)

// TestSinkFlagsAreCheckedBeforeDialling runs start and update in process, with an address that
// nothing listens on: a sink URL with a user or password in it, one outside --allowed-sinks, a
// bad --allowed-sinks and a bad credential name are refused in one line that names the flag or
// variable and shows no secret; the rest gets as far as dialling Temporal.
func TestSinkFlagsAreCheckedBeforeDialling(t *testing.T) {
	const password, token = "pa55-s3cret", "t0k3n"
	const allowed = "https://broker.example.com"
	const dialling = "connect to Temporal at 127.0.0.1:1"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // the start of the error; dialling when the input is accepted
	}{
		{name: "sink with a password", args: []string{"start", "--sink", "http://cron:" + password + "@events:8080/"},
			wantErr: `invalid --sink "http://cron:xxxxx@events:8080/": has a user or password in it`},
		{name: "sink with a token as user", args: []string{"start", "--sink", "http://" + token + "@events:8080/"},
			wantErr: `invalid --sink "http://xxxxx@events:8080/": has a user or password in it`},
		{name: "dead-letter sink with a password", args: []string{"start", "--dead-letter-sink", "http://cron:" + password + "@dls/"},
			wantErr: `invalid --dead-letter-sink "http://cron:xxxxx@dls/": has a user or password in it`},
		{name: "dead-letter sink with a token as user", args: []string{"start", "--dead-letter-sink", "http://" + token + "@dls/"},
			wantErr: `invalid --dead-letter-sink "http://xxxxx@dls/": has a user or password in it`},
		{name: "update to a sink with a password", args: []string{"update", "--sink", "http://cron:" + password + "@events:8080/"},
			wantErr: `invalid --sink "http://cron:xxxxx@events:8080/": has a user or password in it`},
		{name: "update to a sink with a token as user", args: []string{"update", "--sink", "http://" + token + "@events:8080/"},
			wantErr: `invalid --sink "http://xxxxx@events:8080/": has a user or password in it`},
		{name: "sink outside --allowed-sinks", args: []string{"start", "--allowed-sinks", allowed, "--sink", "http://evil:8080/in"},
			wantErr: `invalid --sink "http://evil:8080/in": sink origin http://evil:8080 is not in the allowed sinks (--allowed-sinks)`},
		{name: "sink outside $ALLOWED_SINKS", args: []string{"start", "--sink", "http://evil:8080/in"},
			env: map[string]string{"ALLOWED_SINKS": allowed}, wantErr: `invalid --sink "http://evil:8080/in": sink origin http://evil:8080 is not in`},
		{name: "dead-letter sink outside --allowed-sinks", args: []string{"start", "--allowed-sinks", allowed, "--dead-letter-sink", "http://evil/dls"},
			wantErr: `invalid --dead-letter-sink "http://evil/dls": sink origin http://evil:80 is not in the allowed sinks`},
		{name: "update to a sink outside --allowed-sinks", args: []string{"update", "--allowed-sinks", allowed, "--sink", "http://evil:8080/in"},
			wantErr: `invalid --sink "http://evil:8080/in": sink origin http://evil:8080 is not in the allowed sinks`},
		{name: "sinks inside --allowed-sinks", args: []string{"start", "--allowed-sinks", allowed + ",http://dls:8080",
			"--sink", allowed + "/in", "--dead-letter-sink", "http://dls:8080/"}, wantErr: dialling},
		{name: "sink inside $ALLOWED_SINKS", args: []string{"start", "--sink", allowed + ":443/in"},
			env: map[string]string{"ALLOWED_SINKS": allowed}, wantErr: dialling},
		{name: "the worker's sink, whatever --allowed-sinks says", args: []string{"start", "--allowed-sinks", allowed}, wantErr: dialling},
		{name: "update to a sink inside --allowed-sinks", args: []string{"update", "--allowed-sinks", allowed, "--sink", allowed + "/in"},
			wantErr: dialling},
		{name: "update back to the worker's sink", args: []string{"update", "--allowed-sinks", allowed, "--sink", ""}, wantErr: dialling},
		{name: "bad --allowed-sinks", args: []string{"start", "--allowed-sinks", "ftp://broker"},
			wantErr: `invalid --allowed-sinks: entry "ftp://broker": must be an http or https URL`},
		{name: "--allowed-sinks with a password", args: []string{"start", "--allowed-sinks", "https://cron:" + password + "@broker"},
			wantErr: `invalid --allowed-sinks: entry "https://cron:xxxxx@broker": must be an origin only`},
		{name: "bad $ALLOWED_SINKS", args: []string{"update", "--sink", allowed}, env: map[string]string{"ALLOWED_SINKS": "broker"},
			wantErr: `invalid ALLOWED_SINKS: entry "broker": must be an http or https URL`},
		{name: "sink credential", args: []string{"start", "--sink", allowed + "/in", "--sink-credential", "broker",
			"--dead-letter-sink-credential", "dls.example-1"}, wantErr: dialling},
		{name: "bad sink credential", args: []string{"start", "--sink-credential", "Broker_1"},
			wantErr: `invalid --sink-credential "Broker_1": must be a credential name`},
		{name: "bad dead-letter sink credential", args: []string{"start", "--dead-letter-sink-credential", "../etc"},
			wantErr: `invalid --dead-letter-sink-credential "../etc": must be a credential name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			cmd := newRootCommand(lookup, &stdout, &stderr)
			cmd.SetArgs(append(tt.args, "--address", "127.0.0.1:1", "--connect-timeout", "1ms"))
			err := cmd.Execute()
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line starting %q", err, tt.wantErr)
			}
			for _, secret := range []string{password, token} {
				if out := err.Error() + stdout.String() + stderr.String(); strings.Contains(out, secret) {
					t.Errorf("%q shows: %s", secret, out)
				}
			}
		})
	}
}

// TestSinkCredentialFlag: --sink-credential lands in the Config of start and in the patch of
// update, where "" clears it and a new --sink alone keeps it.
func TestSinkCredentialFlag(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantConfig string // Config.SinkCredential from start
		wantPatch  string // the patch's SinkCredential; "-" for none
		wantAfter  string // the credential once the patch applies to a source with "old"
	}{
		{name: "set", args: []string{"--sink-credential", "broker"}, wantConfig: "broker", wantPatch: "broker", wantAfter: "broker"},
		{name: "cleared", args: []string{"--sink-credential", ""}, wantConfig: "", wantPatch: "", wantAfter: ""},
		{name: "new sink keeps it", args: []string{"--sink", "https://b.example.com/in"}, wantPatch: "-", wantAfter: "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f scheduleFlags
			fs := pflag.NewFlagSet("start", pflag.ContinueOnError)
			f.add(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var cfg workflows.Config
			f.config(fs, &cfg)
			if cfg.SinkCredential != tt.wantConfig {
				t.Errorf("start: SinkCredential %q, want %q", cfg.SinkCredential, tt.wantConfig)
			}
			p, err := f.patch(fs)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			switch {
			case tt.wantPatch == "-" && p.SinkCredential != nil:
				t.Errorf("update: SinkCredential %q, want none", *p.SinkCredential)
			case tt.wantPatch != "-" && (p.SinkCredential == nil || *p.SinkCredential != tt.wantPatch):
				t.Errorf("update: SinkCredential %v, want %q", p.SinkCredential, tt.wantPatch)
			}
			if got := p.Apply(workflows.Config{SinkCredential: "old"}).SinkCredential; got != tt.wantAfter {
				t.Errorf("after the update: SinkCredential %q, want %q", got, tt.wantAfter)
			}
		})
	}
}

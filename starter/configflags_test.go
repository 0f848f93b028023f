package main

import (
	"bytes"
	"reflect"
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
		{name: "extensions", args: []string{"start", "--extension", "team=payments", "--extension", "region=", "--subject", "hello"},
			wantErr: dialling},
		{name: "update extensions", args: []string{"update", "--extension", "team=billing"}, wantErr: dialling},
		{name: "clear extensions", args: []string{"update", "--clear-extensions"}, wantErr: dialling},
		{name: "clear the subject", args: []string{"update", "--subject", ""}, wantErr: dialling},
		{name: "extension name with capitals", args: []string{"start", "--extension", "Team=payments"},
			wantErr: `invalid --extension "Team=payments": names may only use a-z and 0-9`},
		{name: "extension name with a dash", args: []string{"update", "--extension", "my-team=payments"},
			wantErr: `invalid --extension "my-team=payments": names may only use a-z and 0-9`},
		{name: "extension without a value", args: []string{"start", "--extension", "team"},
			wantErr: `invalid --extension "team": must be name=value`},
		{name: "empty extension", args: []string{"update", "--extension", ""},
			wantErr: `invalid --extension "": must be name=value`},
		{name: "extension replacing the id", args: []string{"start", "--extension", "id=1"},
			wantErr: `invalid --extension "id=1": would replace an attribute the source sets`},
		{name: "extension replacing the subject", args: []string{"update", "--extension", "subject=x"},
			wantErr: `invalid --extension "subject=x": would replace an attribute the source sets`},
		{name: "extension replacing the sequence", args: []string{"start", "--extension", "sequence=7"},
			wantErr: `invalid --extension "sequence=7": would replace an attribute the source sets`},
		{name: "extension given twice", args: []string{"start", "--extension", "team=a", "--extension", "team=b"},
			wantErr: `invalid --extension "team=b": team is given twice`},
		{name: "clear and set extensions", args: []string{"update", "--clear-extensions", "--extension", "team=a"},
			wantErr: `invalid --clear-extensions: cannot be used with --extension`},
		{name: "clear extensions on start", args: []string{"start", "--clear-extensions"},
			wantErr: `unknown flag: --clear-extensions`},
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
			if err := f.config(fs, &cfg); err != nil {
				t.Fatal(err)
			}
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

// TestExtensionFlags: --extension and --subject land in the Config of start and in the patch
// of update, where --extension replaces the whole set, --clear-extensions removes it, and
// --subject "" removes the subject.
func TestExtensionFlags(t *testing.T) {
	old := workflows.Config{Subject: "old", Extensions: map[string]string{"team": "old", "env": "prod"}}
	tests := []struct {
		name          string
		args          []string
		wantConfig    workflows.Config // Subject and Extensions from start
		wantExtension bool             // the patch has Extensions
		wantSubject   bool             // the patch has Subject
		wantAfter     workflows.Config // once the patch applies to old
	}{
		{name: "set", args: []string{"--extension", "team=payments", "--extension", "note=a=b", "--subject", "hello"},
			wantConfig:    workflows.Config{Subject: "hello", Extensions: map[string]string{"team": "payments", "note": "a=b"}},
			wantExtension: true, wantSubject: true,
			wantAfter: workflows.Config{Subject: "hello", Extensions: map[string]string{"team": "payments", "note": "a=b"}}},
		{name: "replaces the whole set", args: []string{"--extension", "region=eu"},
			wantConfig:    workflows.Config{Extensions: map[string]string{"region": "eu"}},
			wantExtension: true, wantAfter: workflows.Config{Subject: "old", Extensions: map[string]string{"region": "eu"}}},
		{name: "clears the subject", args: []string{"--subject", ""}, wantSubject: true,
			wantAfter: workflows.Config{Extensions: old.Extensions}},
		{name: "clears the extensions", args: []string{"--clear-extensions"}, wantExtension: true,
			wantAfter: workflows.Config{Subject: "old"}},
		{name: "keeps them", args: []string{"--type", "t"}, wantAfter: workflows.Config{Type: "t", Subject: "old", Extensions: old.Extensions}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f scheduleFlags
			fs := pflag.NewFlagSet("update", pflag.ContinueOnError)
			f.addUpdate(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var cfg workflows.Config
			if err := f.config(fs, &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Subject != tt.wantConfig.Subject || !reflect.DeepEqual(cfg.Extensions, tt.wantConfig.Extensions) {
				t.Errorf("start: subject %q, extensions %v; want %q, %v", cfg.Subject, cfg.Extensions,
					tt.wantConfig.Subject, tt.wantConfig.Extensions)
			}
			p, err := f.patch(fs)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if (p.Extensions != nil) != tt.wantExtension || (p.Subject != nil) != tt.wantSubject {
				t.Errorf("update: patch %+v, want Extensions %v and Subject %v", p, tt.wantExtension, tt.wantSubject)
			}
			if got := p.Apply(old); got.Type != tt.wantAfter.Type || got.Subject != tt.wantAfter.Subject ||
				!reflect.DeepEqual(got.Extensions, tt.wantAfter.Extensions) {
				t.Errorf("after the update: %+v, want %+v", got, tt.wantAfter)
			}
		})
	}
}

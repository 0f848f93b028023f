package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestReadSpecs(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	tests := []struct {
		name    string
		file    string
		allowed string
		want    []string // workflow-id=schedule of each source
		check   func(t *testing.T, specs []sourceSpec)
		wantErr string
	}{
		{name: "one source in YAML", file: "workflow-id: a\ninterval: 5s\n", want: []string{"a=every 5s"}},
		{name: "a list in JSON", file: `[{"workflow-id": "a", "cron": "*/5 * * * *", "timezone": "Europe/Paris"}, {"workflow-id": "b"}]`,
			want: []string{`a=on cron "*/5 * * * *" (Europe/Paris)`, "b=every 10s"}},
		{name: "every kind of value", file: "- workflow-id: a\n  max-ticks: 5\n  paused: true\n  extension: {team: a, region: eu}\n" +
			"  data: '{\"x\":1}'\n  end-at: 2199-01-01T00:00:00Z\n",
			want: []string{"a=every 10s"}, check: func(t *testing.T, specs []sourceSpec) {
				c := specs[0].in.Config
				if c.MaxTicks != 5 || !specs[0].in.State.Paused || !maps.Equal(c.Extensions, map[string]string{"team": "a", "region": "eu"}) ||
					string(c.Data) != `{"x":1}` || !c.EndAt.Equal(time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("config %+v, state %+v", c, specs[0].in.State)
				}
			}},
		{name: "extensions as a list", file: "workflow-id: a\nextension: [team=a, region=eu]\n", want: []string{"a=every 10s"},
			check: func(t *testing.T, specs []sourceSpec) {
				if got := specs[0].in.Config.Extensions; !maps.Equal(got, map[string]string{"team": "a", "region": "eu"}) {
					t.Errorf("extensions %v", got)
				}
			}},
		{name: "a sink within --allowed-sinks", file: "workflow-id: a\nsink: http://ok.example/x\n", allowed: "http://ok.example",
			want: []string{"a=every 10s"}},
		{name: "a sink outside --allowed-sinks", file: "workflow-id: a\nsink: http://other.example\n", allowed: "http://ok.example",
			wantErr: `invalid sources.yaml: source 1 (a): invalid --sink "http://other.example"`},
		{name: "an unknown field", file: "workflow-id: a\nintervall: 5s\n",
			wantErr: `invalid sources.yaml: source 1 (a): unknown field "intervall"`},
		{name: "allowed-sinks is the worker's", file: "workflow-id: a\nallowed-sinks: http://x\n",
			wantErr: `invalid sources.yaml: source 1 (a): unknown field "allowed-sinks"`},
		{name: "a bad value", file: "workflow-id: a\ninterval: soon\n",
			wantErr: `invalid sources.yaml: source 1 (a): invalid interval "soon": time: invalid duration "soon"`},
		{name: "a value the start refuses", file: "workflow-id: a\ninterval: 1ms\n",
			wantErr: `invalid sources.yaml: source 1 (a): invalid --interval "1ms": must be at least 100ms`},
		{name: "a password in a sink", file: "workflow-id: a\nsink: http://u:hunter2@x\n",
			wantErr: `invalid sources.yaml: source 1 (a): invalid --sink "http://u:xxxxx@x": has a user or password`},
		{name: "no workflow-id", file: "interval: 5s\n", wantErr: "invalid sources.yaml: source 1: workflow-id is required"},
		{name: "a bad workflow-id", file: "workflow-id: ' a'\n", wantErr: `invalid sources.yaml: source 1: invalid --workflow-id`},
		{name: "the same workflow-id twice", file: "- workflow-id: a\n- workflow-id: b\n- workflow-id: a\n",
			wantErr: `invalid sources.yaml: source 3: workflow-id "a" is source 1's too`},
		{name: "a map as a value", file: "workflow-id: a\ninterval: {s: 5}\n",
			wantErr: "invalid sources.yaml: source 1 (a): invalid interval: must be a string, number or boolean, not a map"},
		{name: "null", file: "workflow-id: a\nsubject:\n", wantErr: "not null"},
		{name: "an empty file", file: "", wantErr: "invalid sources.yaml: no source in it"},
		{name: "an empty list", file: "[]", wantErr: "invalid sources.yaml: no source in it"},
		{name: "a scalar", file: "hello", wantErr: "invalid sources.yaml: no source in it"},
		{name: "a list of scalars", file: "[1, 2]", wantErr: "invalid sources.yaml: source 1: must be a map of fields, not json.Number"},
		{name: "not YAML", file: "workflow-id: [a\n", wantErr: "invalid sources.yaml: neither YAML nor JSON"},
		{name: "a billion laughs", file: aliasBomb(), wantErr: "excessive aliasing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := readSpecs("sources.yaml", strings.NewReader(tt.file), tt.allowed, noEnv, time.Now())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") ||
					strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err %v, want one line with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range specs {
				got = append(got, s.id+"="+s.in.Config.Schedule())
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("sources %v, want %v", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, specs)
			}
		})
	}
}

// TestReadSpecsBoundsTheFile: a file over maxSpecFile is refused without reading it all.
func TestReadSpecsBoundsTheFile(t *testing.T) {
	r := strings.NewReader(strings.Repeat("#", maxSpecFile+1))
	if _, err := readSpecs("big.yaml", r, "", func(string) (string, bool) { return "", false }, time.Now()); err == nil ||
		!strings.Contains(err.Error(), "more than 64 MiB") {
		t.Errorf("err %v, want more than 64 MiB", err)
	}
}

// aliasBomb is YAML whose aliases would expand to 9^9 strings.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for prev, name := 'a', 'b'; name <= 'i'; prev, name = name, name+1 {
		ref := "*" + string(prev)
		fmt.Fprintf(&b, "%c: &%c [%s]\n", name, name, strings.TrimSuffix(strings.Repeat(ref+",", 9), ","))
	}
	return b.String()
}

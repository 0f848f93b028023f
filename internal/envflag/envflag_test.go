package envflag

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "default", want: "127.0.0.1:7233"},
		{name: "first var", env: map[string]string{"A": "a:1", "B": "b:1"}, want: "a:1"},
		{name: "second var", env: map[string]string{"B": "b:1"}, want: "b:1"},
		{name: "empty var is unset", env: map[string]string{"A": "", "B": "b:1"}, want: "b:1"},
		{name: "flag beats env", args: []string{"--addr", "f:1"}, env: map[string]string{"A": "a:1"}, want: "f:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			addr := fs.String("addr", "127.0.0.1:7233", "address")
			Bind(fs, "addr", "A", "B")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := Apply(fs, mapLookup(tt.env)); err != nil {
				t.Fatal(err)
			}
			if *addr != tt.want {
				t.Errorf("addr = %q, want %q", *addr, tt.want)
			}
		})
	}
}

func TestApplyInvalidValueNamesVariable(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Duration("interval", time.Second, "interval")
	Bind(fs, "interval", "INTERVAL")
	err := Apply(fs, mapLookup(map[string]string{"INTERVAL": "soon"}))
	if err == nil || !strings.Contains(err.Error(), `invalid INTERVAL "soon"`) {
		t.Fatalf("err = %v, want one naming INTERVAL", err)
	}
}

func TestBindNamesVariablesInHelp(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("sink", "", "sink URL")
	Bind(fs, "sink", "K_SINK", "SINK")
	if got := fs.Lookup("sink").Usage; got != "sink URL [$K_SINK, $SINK]" {
		t.Errorf("usage = %q", got)
	}
}

func TestSource(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("sink", "", "sink URL")
	Bind(fs, "sink", "K_SINK", "SINK")
	if got := Source(fs, "sink", mapLookup(map[string]string{"SINK": "x"})); got != "SINK" {
		t.Errorf("Source = %q, want SINK", got)
	}
	if err := fs.Parse([]string{"--sink", "y"}); err != nil {
		t.Fatal(err)
	}
	if got := Source(fs, "sink", mapLookup(map[string]string{"SINK": "x"})); got != "--sink" {
		t.Errorf("Source = %q, want --sink", got)
	}
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

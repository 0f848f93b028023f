package logging

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
		check   func(t *testing.T, out string)
	}{
		{
			name: "json",
			opts: Options{Level: "info", Format: "json"},
			check: func(t *testing.T, out string) {
				var line map[string]any
				if err := json.Unmarshal([]byte(out), &line); err != nil {
					t.Fatalf("not JSON: %q", out)
				}
				if line["msg"] != "hello" || line["k"] != "v" {
					t.Errorf("line = %v", line)
				}
			},
		},
		{
			name: "console",
			opts: Options{Level: "debug", Format: "console"},
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, "INFO") || !strings.Contains(out, "hello") {
					t.Errorf("out = %q", out)
				}
			},
		},
		{
			name: "auto is JSON when not on a terminal",
			opts: Options{Level: "info", Format: "auto"},
			check: func(t *testing.T, out string) {
				if !json.Valid([]byte(out)) {
					t.Errorf("not JSON: %q", out)
				}
			},
		},
		{
			name:  "level filters",
			opts:  Options{Level: "warn", Format: "json"},
			check: func(t *testing.T, out string) { requireEmpty(t, out) },
		},
		{name: "bad level", opts: Options{Level: "verbose", Format: "json"}, wantErr: `invalid --log-level "verbose"`},
		{name: "fatal is not a level", opts: Options{Level: "fatal", Format: "json"}, wantErr: `invalid --log-level "fatal"`},
		{name: "bad format", opts: Options{Level: "info", Format: "xml"}, wantErr: `invalid --log-format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := tt.opts.New(&buf)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l.Sugar().Infow("hello", "k", "v")
			tt.check(t, buf.String())
		})
	}
}

func requireEmpty(t *testing.T, out string) {
	t.Helper()
	if out != "" {
		t.Errorf("out = %q, want nothing", out)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tty, ttyErr := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	tests := []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"buffer", &bytes.Buffer{}, false},
		{"regular file", f, false},
		{"character device /dev/null", devNull(t), true},
	}
	if ttyErr == nil {
		defer tty.Close()
		tests = append(tests, struct {
			name string
			w    io.Writer
			want bool
		}{"/dev/tty", tty, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTerminal(tt.w); got != tt.want {
				t.Errorf("isTerminal = %v, want %v", got, tt.want)
			}
		})
	}
}

func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

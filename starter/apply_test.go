package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/workflows"
)

// TestApplyConvergesASource: apply starts a source that is absent, changes exactly the settings
// that differ in a running one and says which, does nothing when nothing differs, takes a file of
// sources, and, when no worker takes a change in time, sends it as a signal that the source takes
// once a worker runs.
func TestApplyConvergesASource(t *testing.T) {
	env := startTemporalAndWorker(t)
	id := []string{"--workflow-id", "ap-1"}
	apply := append([]string{"apply", "--interval", "200ms", "--sink", env.sink.URL + "/ap-1"}, id...)
	changed := append(apply, "--interval", "300ms", "--max-ticks", "1000", "--data", `{"a":1}`)
	file := filepath.Join(t.TempDir(), "sources.yaml")
	spec := "- workflow-id: ap-1\n  interval: 300ms\n  max-ticks: 1000\n  data: '{\"a\":1}'\n  sink: " + env.sink.URL + "/ap-1\n" +
		"  subject: from-a-file\n- workflow-id: ap-2\n  interval: 1s\n  sink: " + env.sink.URL + "/ap-2\n"
	if err := os.WriteFile(file, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	noWorker := *env
	noWorker.taskQueue = "apply-no-worker"
	steps := []step{
		{name: "apply starts an absent source", args: apply, want: `^started source "ap-1" \(run [\w-]+\) every 200ms\n$`},
		{name: "apply again changes nothing", args: apply, want: `^source "ap-1" is up to date; nothing changed\n$`},
		{name: "ticks arrive", check: waitForTicks(env.sink, "/ap-1", 3)},
		{name: "apply changes what differs", args: changed,
			want: `^source "ap-1": updated interval 200ms -> 300ms, data default -> sha256:015abd7f5cc5, max-ticks 0 -> 1000\n$`},
		{name: "describe shows it", args: append([]string{"describe", "-o", "json"}, id...),
			check: describedAs(map[string]any{"interval": "300ms", "maxTicks": float64(1000)})},
		{name: "apply the changed spec again", args: changed, want: `^source "ap-1" is up to date; nothing changed\n$`},
		{name: "start-at only applies at the start", args: append(changed, "--start-at", "2199-01-01T00:00:00Z"),
			want: `^source "ap-1": start-at only applies when a source starts; left as it is \(none, spec 2199-01-01T00:00:00Z\)\n` +
				`source "ap-1" is up to date; nothing changed\n$`},
		{name: "apply a file", args: []string{"apply", "-f", file}, check: linesMatch(
			`^source "ap-1": updated subject "" -> "from-a-file"$`,
			`^started source "ap-2" \(run [\w-]+\) every 1s$`,
			`^applied 2 sources in \S+ \(\d+/s\): 1 started, 1 updated, 0 signalled, 0 up to date, 0 failed$`)},
		{name: "apply the file again", args: []string{"apply", "-f", file, "--concurrency", "1"}, check: linesMatch(
			`^source "ap-1" is up to date; nothing changed$`, `^source "ap-2" is up to date; nothing changed$`,
			`^applied 2 sources in \S+ \(\d+/s\): 0 started, 0 updated, 0 signalled, 2 up to date, 0 failed$`)},
		{name: "list --prefix", args: []string{"list", "--prefix", "ap-", "--limit", "5"},
			want: `^WORKFLOW ID [^\n]*\n(ap-[12] +running[^\n]*\n){2}$`},
		{name: "list --prefix of one", args: []string{"list", "--prefix", "ap-2"}, want: `^WORKFLOW ID [^\n]*\nap-2 +running[^\n]*\n$`},
		{name: "list --prefix with a quote", args: []string{"list", "--prefix", "a'b"}, wantErr: `invalid --prefix "a'b": must not hold ' or \`},
		{name: "too much concurrency", args: []string{"apply", "-f", file, "--concurrency", "65"},
			wantErr: "invalid --concurrency 65: must be from 1 to 64"},
		{name: "a file and a source's flags", args: []string{"apply", "-f", file, "--interval", "1s"},
			wantErr: "invalid --interval: cannot be used with --filename"},
		{name: "more ticks arrive", check: waitForTicks(env.sink, "/ap-1", 8)},
		{name: "ticks came in order, once each", check: inOrder(env.sink, "/ap-1")},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { env.run(t, st) }) {
			return
		}
	}
	noWorkerSteps := []step{
		{name: "start with no worker", args: []string{"apply", "--workflow-id", "ap-3", "--interval", "1s"},
			want: `^started source "ap-3"`},
		{name: "a change no worker takes goes as a signal", args: []string{"apply", "--workflow-id", "ap-3", "--interval", "2s",
			"--wait-for-worker", "1s"},
			want: `^source "ap-3": no worker took the change within 1s; sent it as a signal, which the source takes once a ` +
				`worker runs: interval 1s -> 2s\n$`},
	}
	for _, st := range noWorkerSteps {
		if !t.Run(st.name, func(t *testing.T) { noWorker.run(t, st) }) {
			return
		}
	}
	w := worker.New(env.client, noWorker.taskQueue, workflows.WorkerOptions())
	workflows.Register(w, activities.New(&http.Client{Timeout: 5 * time.Second}, env.sink.URL, nil))
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	noWorker.run(t, step{name: "the worker takes the signal", args: []string{"describe", "--workflow-id", "ap-3", "-o", "json"},
		want: `"interval": "2s"`, eventually: true})
	noWorker.run(t, step{name: "and the memo follows", args: []string{"apply", "--workflow-id", "ap-3", "--interval", "2s"},
		want: `^source "ap-3" is up to date; nothing changed\n$`})
}

// linesMatch checks that the output has one line per pattern, in any order but the last, which
// must match the last pattern: a bulk apply prints each source's line as it ends, then its sum.
func linesMatch(patterns ...string) func(*testing.T, string) error {
	return func(_ *testing.T, out string) error {
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(patterns) {
			return fmt.Errorf("%d lines, want %d", len(lines), len(patterns))
		}
		last := len(lines) - 1
		if !regexp.MustCompile(patterns[last]).MatchString(lines[last]) {
			return fmt.Errorf("last line %q, want a match of %q", lines[last], patterns[last])
		}
		for _, p := range patterns[:last] {
			if !slices.ContainsFunc(lines[:last], regexp.MustCompile(p).MatchString) {
				return fmt.Errorf("no line matches %q", p)
			}
		}
		return nil
	}
}

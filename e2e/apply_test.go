package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestApply: `starter apply -f` starts the source of a file, then brings it to each edit of the
// file: the interval and an extension change with no tick lost and no id changed, an unchanged
// file changes nothing, and an edit while no worker runs reaches the source as a signal once one
// does.
func TestApply(t *testing.T) {
	sink := newRecorder(t)
	addr := startDevserver(t)
	worker := startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	const id = "applied"
	file := filepath.Join(t.TempDir(), "sources.yaml")
	write := func(spec string) {
		t.Helper()
		if err := os.WriteFile(file, []byte("workflow-id: "+id+"\n"+spec), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	apply := func(args ...string) string {
		t.Helper()
		return mustStarter(t, addr, append([]string{"apply", "-f", file}, args...)...)
	}
	expect := func(out, pattern string) {
		t.Helper()
		if !regexp.MustCompile(pattern).MatchString(out) {
			t.Fatalf("apply printed %q, want a match of %q", out, pattern)
		}
	}

	write("interval: 500ms\n")
	expect(apply(), `^started source "applied" \(run [\w-]+\) every 500ms$`)
	sink.waitFor(t, 4, time.Minute)
	expect(apply(), `^source "applied" is up to date; nothing changed$`)

	write("interval: 300ms\nextension: {team: payments}\n")
	expect(apply(), `^source "applied": updated interval 500ms -> 300ms, extension \[\] -> \[team=payments\]$`)
	if d := describe(t, addr, id); d.Interval != "300ms" || d.Extensions["team"] != "payments" {
		t.Fatalf("describe after apply: interval %s, extensions %v", d.Interval, d.Extensions)
	}
	n := len(sink.events())
	sink.waitFor(t, n+5, time.Minute)
	expect(apply(), `^source "applied" is up to date; nothing changed$`)

	stopProc(t, worker)
	write("interval: 400ms\nextension: {team: payments}\n")
	expect(apply("--wait-for-worker", "2s"), `^source "applied": no worker took the change within 2s; sent it as a signal, `+
		`which the source takes once a worker runs: interval 300ms -> 400ms$`)
	startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	eventually(t, "the signalled interval", time.Minute, func() bool { return describe(t, addr, id).Interval == "400ms" })
	expect(apply(), `^source "applied" is up to date; nothing changed$`)
	sink.waitFor(t, len(sink.events())+3, time.Minute)

	events := sink.events()
	checkContiguous(t, events)
	prefix := ""
	for _, e := range events {
		p := e.ID()[:strings.LastIndex(e.ID(), "-")]
		if prefix == "" {
			prefix = p
		}
		if p != prefix {
			t.Fatalf("event id %s after ids %s-…: the source's ids changed", e.ID(), prefix)
		}
		if seq := seqOf(e); seq > 4 && e.Extensions()["team"] == nil && seq > seqOf(events[n-1]) {
			t.Errorf("tick %d after the apply has no team extension", seq)
		}
	}
	recordHistory(t, addr, id, "source-v6-apply")
}

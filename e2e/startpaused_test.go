package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestStartPaused: `start --paused` starts a source that sends nothing, shows as paused in
// describe and `list --paused`, and ticks once resumed; with --catchup skip, none of the ticks
// due while it was paused.
func TestStartPaused(t *testing.T) {
	t.Parallel()
	addr, sink := startPipeline(t)
	const id = "starts-paused"
	out := mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "500ms", "--catchup", "skip",
		"--paused", "--reason", "waiting for the sink")
	if !strings.Contains(out, "paused: resume starts it") {
		t.Errorf("start --paused said %q", out)
	}
	d := describe(t, addr, id)
	if !d.Paused || d.PauseReason != "waiting for the sink" || d.Sequence != 0 || len(d.NextFireTimes) == 0 {
		t.Fatalf("describe after start --paused: %+v", d)
	}
	// Nothing is sent while paused: wait past the third fire time that the status reported,
	// then the status and the sink must still show no tick.
	eventually(t, "three fire times pass", 10*time.Second, func() bool {
		return time.Now().After(d.NextFireTimes[min(2, len(d.NextFireTimes)-1)])
	})
	if d := describe(t, addr, id); !d.Paused || d.Sequence != 0 || d.Delivered != 0 {
		t.Fatalf("describe while paused: %+v", d)
	}
	if n := len(sink.all()); n != 0 {
		t.Fatalf("the sink got %d requests while the source was paused", n)
	}
	if out, ok := starter(addr, "list", "--paused"); !ok || !strings.Contains(out, id) {
		t.Errorf("list --paused: ok=%v %q", ok, out)
	}
	resumedAt := time.Now()
	mustStarter(t, addr, "resume", "--workflow-id", id)
	events := sink.waitFor(t, 2, 30*time.Second)
	for i, e := range events[:2] {
		if seqOf(e) != i+1 || e.Time().Before(resumedAt.Add(-time.Second)) {
			t.Errorf("tick %d: sequence %d at %v; want %d, due after the resume at %v (--catchup skip)",
				i, seqOf(e), e.Time(), i+1, resumedAt)
		}
	}
}

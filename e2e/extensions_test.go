package e2e

import (
	"maps"
	"testing"
	"time"
)

// TestExtensions: a source's --extension and --subject reach the sink as ce- headers, merged
// with the worker's K_CE_OVERRIDES (the source's own extensions win); describe shows them; and
// `update --extension` replaces them, `--subject ""` removes the subject, from a later tick on.
func TestExtensions(t *testing.T) {
	sink := newRecorder(t)
	addr := startDevserver(t)
	startProcEnv(t, []string{`K_CE_OVERRIDES={"extensions":{"team":"platform","region":"eu"}}`},
		"worker", "--address", addr, "--sink", sink.URL)
	const id = "extended"

	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "500ms",
		"--extension", "team=payments", "--subject", "hello")
	sink.waitFor(t, 2, time.Minute)
	for _, a := range sink.all() {
		if a.event == nil {
			continue
		}
		if h := a.header; h.Get("ce-team") != "payments" || h.Get("ce-region") != "eu" || h.Get("ce-subject") != "hello" {
			t.Fatalf("tick %d: ce-team %q, ce-region %q, ce-subject %q; want payments (the source's, over the worker's), eu (the worker's), hello",
				a.seq, h.Get("ce-team"), h.Get("ce-region"), h.Get("ce-subject"))
		}
	}
	if d := describe(t, addr, id); d.Subject != "hello" || !maps.Equal(d.Extensions, map[string]string{"team": "payments"}) {
		t.Errorf("describe: subject %q, extensions %v; want hello, team=payments", d.Subject, d.Extensions)
	}

	mustStarter(t, addr, "update", "--workflow-id", id, "--extension", "team=billing", "--subject", "")
	updated := 0 // the sequence of the first tick sent with the new extensions
	eventually(t, "a tick with ce-team billing", time.Minute, func() bool {
		for _, a := range sink.all() {
			if a.event != nil && a.header.Get("ce-team") == "billing" {
				updated = a.seq
				return true
			}
		}
		return false
	})
	sink.waitFor(t, len(sink.events())+2, time.Minute)
	for _, a := range sink.all() {
		if a.event == nil || a.seq < updated {
			continue
		}
		if h := a.header; h.Get("ce-team") != "billing" || h.Get("ce-region") != "eu" || h.Values("ce-subject") != nil {
			t.Errorf("tick %d after the update: ce-team %q, ce-region %q, ce-subject %q; want billing, eu, none",
				a.seq, h.Get("ce-team"), h.Get("ce-region"), h.Values("ce-subject"))
		}
	}
	if d := describe(t, addr, id); d.Subject != "" || !maps.Equal(d.Extensions, map[string]string{"team": "billing"}) {
		t.Errorf("describe after the update: subject %q, extensions %v; want none, team=billing", d.Subject, d.Extensions)
	}
}

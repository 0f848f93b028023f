package workflows

import (
	"maps"
	"testing"
)

// TestSubjectAndExtensionsGoOnEveryTick: a source's subject and extensions are in every tick it
// sends, in its status, and in the configuration it carries across continue-as-new.
func TestSubjectAndExtensionsGoOnEveryTick(t *testing.T) {
	ext := map[string]string{"team": "payments", "region": "eu"}
	h := newHarness(t, answer{})
	next := h.run(t, Input{Config: Config{Interval: s(10), Subject: "hello", Extensions: ext, ContinueAsNewAfter: 3}})
	if len(h.got) != 3 {
		t.Fatalf("sent %v, want 3 ticks", h.sent())
	}
	for _, d := range h.got {
		if d.tick.Subject != "hello" || !maps.Equal(d.tick.Extensions, ext) {
			t.Errorf("tick %d: subject %q, extensions %v; want hello, %v", d.tick.Sequence, d.tick.Subject, d.tick.Extensions, ext)
		}
	}
	if next.Config.Subject != "hello" || !maps.Equal(next.Config.Extensions, ext) {
		t.Errorf("carried subject %q, extensions %v; want hello, %v", next.Config.Subject, next.Config.Extensions, ext)
	}
	if st := StatusAtStart("hello-cron", next); st.Subject != "hello" || !maps.Equal(st.Extensions, ext) {
		t.Errorf("status subject %q, extensions %v; want hello, %v", st.Subject, st.Extensions, ext)
	}
}

// TestUpdateChangesExtensionsFromTheNextTick: an update of the subject and extensions applies
// from the next tick. The tick in flight keeps those it was decided with on every retry, so that
// its id always goes with the same event.
func TestUpdateChangesExtensionsFromTheNextTick(t *testing.T) {
	h := newHarness(t, failing(1, 6)) // tick 1, due at 10 s, is retried past the update at 15 s
	billing := map[string]string{"team": "billing"}
	none := ""
	u := h.update(t, s(15), UpdateConfig, ConfigPatch{Extensions: &billing, Subject: &none})
	h.run(t, Input{Config: Config{Interval: s(10), Subject: "hello", Extensions: map[string]string{"team": "payments", "env": "prod"},
		ContinueAsNewAfter: 3}})
	if u.rejected != nil || !u.done || u.err != nil {
		t.Fatalf("update: rejected %v, done %v, err %v", u.rejected, u.done, u.err)
	}
	retriedAfter := false
	for _, d := range h.got {
		switch {
		case d.tick.Sequence == 1:
			retriedAfter = retriedAfter || !d.at.Before(t0.Add(s(15)))
			if d.tick.Subject != "hello" || d.tick.Extensions["team"] != "payments" || d.tick.Extensions["env"] != "prod" {
				t.Errorf("tick 1 at %v: subject %q, extensions %v; want those it was decided with", d.at.Sub(t0), d.tick.Subject, d.tick.Extensions)
			}
		case d.tick.Subject != "" || !maps.Equal(d.tick.Extensions, billing):
			t.Errorf("tick %d: subject %q, extensions %v; want none, %v", d.tick.Sequence, d.tick.Subject, d.tick.Extensions, billing)
		}
	}
	if !retriedAfter || h.got[len(h.got)-1].tick.Sequence != 3 {
		t.Fatalf("sent %v: want tick 1 retried after the update, then ticks 2 and 3", h.sent())
	}
}

// TestClearingExtensions: an empty set in a patch removes the extensions; a bad name is refused.
func TestClearingExtensions(t *testing.T) {
	c := Config{Interval: s(1), Extensions: map[string]string{"team": "a"}}
	if got := (ConfigPatch{Extensions: &map[string]string{}}).Apply(c); got.Extensions != nil {
		t.Errorf("cleared extensions = %v, want nil", got.Extensions)
	}
	if p := (ConfigPatch{Extensions: &map[string]string{}}); p.Empty() {
		t.Error("a patch that clears the extensions is empty")
	}
	bad := map[string]string{"Team": "a"}
	if err := (ConfigPatch{Extensions: &bad}).Apply(c).Validate(); err == nil {
		t.Error("a patch with extension Team validates")
	}
}

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// TestUpdatesSurviveContinueAsNew sends trigger after trigger to a source that continues as new
// every two ticks: every accepted trigger must give exactly one extra tick.
func TestUpdatesSurviveContinueAsNew(t *testing.T) {
	addr, sink := startPipeline(t)
	const id, triggers = "racing", 8

	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "200ms", "--continue-as-new-after", "2")
	anchor := sink.waitFor(t, 1, time.Minute)[0].Time().Add(-200 * time.Millisecond)
	for range triggers {
		mustStarter(t, addr, "trigger", "--workflow-id", id)
	}
	// The triggered ticks are those off the grid, counted once each: a tick may arrive twice,
	// with its id, when the workflow task that sent it failed racing a continue-as-new.
	offGrid := func() int {
		ids := map[string]bool{}
		for _, e := range sink.events() {
			if e.Time().Sub(anchor)%(200*time.Millisecond) != 0 {
				ids[e.ID()] = true
			}
		}
		return len(ids)
	}
	eventually(t, fmt.Sprintf("%d triggered ticks arrive", triggers), 30*time.Second, func() bool { return offGrid() >= triggers })
	// A trigger taken twice would give one tick more. Triggers go before the ticks on the grid:
	// once the source has none pending, per its status, and has delivered five more ticks (over
	// two or three continue-as-new), it has sent every trigger it took.
	target := int64(slices.Max(seqs(sink.events())) + 5)
	eventually(t, "no trigger pending, and five more ticks delivered", 30*time.Second, func() bool {
		d := describe(t, addr, id)
		return d.PendingTriggers == 0 && d.Sequence >= target
	})
	if n := offGrid(); n != triggers {
		var got []string
		for _, e := range sink.events() {
			got = append(got, fmt.Sprintf("%d@%s", seqOf(e), e.Time().Sub(anchor)))
		}
		t.Errorf("%d triggered ticks arrived, want %d: %v", n, triggers, got)
	}
	checkContiguous(t, sink.events())
	// An id is one event: a tick sent again carries its first time. (A first attempt made
	// locally in a workflow task that the server dropped once sent one id with two times.)
	timeOf := map[string]time.Time{}
	for _, e := range sink.events() {
		if first, seen := timeOf[e.ID()]; seen && !first.Equal(e.Time()) {
			t.Errorf("id %s arrived with time %v and %v", e.ID(), first.Sub(anchor), e.Time().Sub(anchor))
		}
		timeOf[e.ID()] = e.Time()
	}
	mustStarter(t, addr, "stop", "--workflow-id", id)
}

// TestOneWorkerManySources runs three sources with their own settings on one worker: each
// keeps its own unbroken stream.
func TestOneWorkerManySources(t *testing.T) {
	addr, sink := startPipeline(t)

	sources := map[string][]string{
		"urn:a": {"--interval", "1s", "--type", "com.example.a"},
		"urn:b": {"--interval", "700ms", "--type", "com.example.b", "--content-mode", "structured"},
		"urn:c": {"--cron", "* * * * * *", "--type", "com.example.c", "--data", "tick", "--data-content-type", "text/plain"},
	}
	for src, args := range sources {
		id := strings.TrimPrefix(src, "urn:")
		mustStarter(t, addr, append([]string{"start", "--workflow-id", id, "--source", src}, args...)...)
	}
	eventually(t, "four ticks from every source", time.Minute, func() bool {
		n := map[string]int{}
		for _, e := range sink.events() {
			n[e.Source()]++
		}
		return n["urn:a"] >= 4 && n["urn:b"] >= 4 && n["urn:c"] >= 4
	})
	bySource := map[string][]cloudevents.Event{}
	for _, e := range sink.events() {
		bySource[e.Source()] = append(bySource[e.Source()], e)
	}
	for src, events := range bySource {
		checkContiguous(t, events)
		want := "com.example." + strings.TrimPrefix(src, "urn:")
		for _, e := range events {
			if e.Type() != want {
				t.Errorf("source %s sent type %s, want %s", src, e.Type(), want)
			}
		}
	}
	if c := bySource["urn:c"][0]; string(c.Data()) != "tick" || c.DataContentType() != "text/plain" {
		t.Errorf("source c: data %q of %s, want tick of text/plain", c.Data(), c.DataContentType())
	}
}

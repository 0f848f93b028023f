package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

func seqOf(e cloudevents.Event) int {
	n, _ := strconv.Atoi(fmt.Sprint(e.Extensions()["sequence"]))
	return n
}

// startPipeline starts a devserver and a worker that sends to a new recorder, and returns the
// devserver's address and the recorder.
func startPipeline(t *testing.T) (addr string, sink *recorder) {
	t.Helper()
	sink = newRecorder(t)
	addr = startDevserver(t)
	startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	return addr, sink
}

// checkSinkAgrees checks that the sink got the ticks that the status d says were delivered or
// rejected, and no later one but the tick in flight: a pause or a stop may cut it short after
// it was sent.
func checkSinkAgrees(t *testing.T, events []cloudevents.Event, d report) {
	t.Helper()
	got := map[int]bool{}
	for _, e := range events {
		got[seqOf(e)] = true
		if seq := int64(seqOf(e)); seq > d.Sequence && (d.InFlight == nil || seq != d.InFlight.Sequence) {
			t.Errorf("tick %d reached the sink; the source says %d delivered or rejected, %v in flight: %v",
				seq, d.Sequence, d.InFlight, seqs(events))
		}
	}
	for seq := 1; seq <= int(d.Sequence); seq++ {
		if !got[seq] {
			t.Errorf("the source says tick %d was delivered; the sink never got it: %v", seq, seqs(events))
		}
	}
}

// TestControlCommands drives every starter subcommand against the devserver and a worker,
// and checks each one's effect on the events the sink receives.
func TestControlCommands(t *testing.T) {
	addr, sink := startPipeline(t)
	const id = "controlled"

	mustCLI := func(want string, args ...string) string {
		t.Helper()
		out, ok := starter(addr, args...)
		if !ok || !strings.Contains(out, want) {
			t.Fatalf("starter %v: ok=%v %q, want %q", args, ok, out, want)
		}
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		out, ok := starter(addr, args...)
		if ok || len(nonEmptyLines(out)) != 1 || !strings.Contains(out, want) {
			t.Fatalf("starter %v: ok=%v %q, want one line refusing with %q", args, ok, out, want)
		}
	}

	mustCLI("started source", "start", "--workflow-id", id, "--interval", "1s", "--data", `{"hello":"world"}`)
	first := sink.waitFor(t, 2, time.Minute)
	if string(first[0].Data()) != `{"hello":"world"}` {
		t.Errorf("--data: event data %q", first[0].Data())
	}
	d := describe(t, addr, id)
	if d.Paused || d.Sequence < 1 || d.NextFireTime == nil || len(d.NextFireTimes) != 5 || d.Interval != "1s" {
		t.Errorf("describe: %+v", d)
	}
	if out := mustCLI(id, "list"); !strings.Contains(out, "running") {
		t.Errorf("list: %q", out)
	}

	// pause: nothing is delivered until resume; trigger is refused while paused.
	// Once describe shows the source paused, its sequence stays where it is until the resume,
	// and the sink has what the status says was delivered, and at most the tick in flight,
	// which the pause interrupted after it was sent.
	mustCLI("paused", "pause", "--workflow-id", id, "--reason", "maintenance")
	d = describe(t, addr, id)
	if !d.Paused || d.PauseReason != "maintenance" || len(d.NextFireTimes) < 3 {
		t.Fatalf("describe after pause: %+v", d)
	}
	if out := mustCLI(id, "list"); !strings.Contains(out, "paused (maintenance)") {
		t.Errorf("list while paused: %q", out)
	}
	checkSinkAgrees(t, sink.events(), d)
	pausedAt := len(sink.events())
	refused("paused", "trigger", "--workflow-id", id)
	// A tick sent in spite of the pause would go at its fire time: wait until the third next
	// fire time that the status reports, so that two came due with an interval to arrive in.
	time.Sleep(time.Until(d.NextFireTimes[2]))
	if p := describe(t, addr, id); !p.Paused || p.Sequence != d.Sequence {
		t.Fatalf("describe while paused: sequence %d, paused %v; at the pause %d, paused", p.Sequence, p.Paused, d.Sequence)
	}
	checkSinkAgrees(t, sink.events(), d)
	for _, e := range sink.events()[pausedAt:] {
		if d.InFlight == nil || int64(seqOf(e)) != d.InFlight.Sequence {
			t.Fatalf("tick %d arrived while paused", seqOf(e))
		}
	}

	// resume: the ticks missed while paused are caught up (the default policy is all).
	mustCLI("resumed", "resume", "--workflow-id", id)
	events := sink.waitFor(t, pausedAt+3, 30*time.Second)
	checkContiguous(t, events)

	// trigger: one extra tick now, with its own sequence number, off the grid.
	before := len(sink.events())
	triggeredAt := time.Now()
	mustCLI("triggered", "trigger", "--workflow-id", id)
	events = sink.waitFor(t, before+2, 30*time.Second)
	checkContiguous(t, events)
	offGrid := 0
	for _, e := range events[before:] {
		if e.Time().Sub(first[0].Time())%time.Second != 0 && !e.Time().Before(triggeredAt.Add(-time.Second)) {
			offGrid++
		}
	}
	if offGrid != 1 {
		t.Errorf("%d events off the 1 s grid after trigger, want exactly the triggered one", offGrid)
	}

	// update: a bad value is refused; a good one applies from the next tick.
	refused("invalid --interval", "update", "--workflow-id", id, "--interval", "1ms")
	refused("nothing to update", "update", "--workflow-id", id)
	mustCLI("every 300ms", "update", "--workflow-id", id, "--interval", "300ms")
	before = len(sink.events())
	events = sink.waitFor(t, before+5, 30*time.Second)
	checkContiguous(t, events)
	last := events[len(events)-3:]
	if gap := last[2].Time().Sub(last[1].Time()); gap != 300*time.Millisecond {
		t.Errorf("ticks %v apart after update --interval 300ms", gap)
	}

	// stop: the source completes and leaves the list. Its run has closed, so the status is
	// final: the sink has the ticks it says were delivered, none in flight, and no more.
	mustCLI("stopping", "stop", "--workflow-id", id)
	eventually(t, "the source leaves the list", 30*time.Second, func() bool {
		out, ok := starter(addr, "list")
		return ok && !strings.Contains(out, id)
	})
	d = describe(t, addr, id)
	if !d.Finished || !d.Stopping || d.NextFireTime != nil || d.InFlight != nil || d.Abandoned != 0 {
		t.Errorf("describe after the stop: finished %v, stopping %v, next fire time %v, in flight %v, abandoned %d; "+
			"want true, true, none, none, 0", d.Finished, d.Stopping, d.NextFireTime, d.InFlight, d.Abandoned)
	}
	checkSinkAgrees(t, sink.events(), d)
	stoppedAt := len(sink.events())
	refused("stop", "stop", "--workflow-id", id)
	if out := mustCLI("state:", "describe", "--workflow-id", id); !regexp.MustCompile(`(?m)^state:\s+stopped$`).MatchString(out) {
		t.Errorf("describe after the stop:\n%s\nwant state: stopped", out)
	}
	recordHistory(t, addr, id, "source-v5-controls")
	if n := len(sink.events()); n != stoppedAt {
		t.Errorf("%d events after the source stopped", n-stoppedAt)
	}
}

// TestCronMaxTicksAndDeadLetter starts a cron source with --max-ticks whose sink refuses one
// tick for good and fails the first attempt of another, and checks that the refused tick went
// to the dead-letter sink the Knative way and the failed one was sent again.
func TestCronMaxTicksAndDeadLetter(t *testing.T) {
	sink := newRecorder(t)
	sink.setAnswer(func(a arrival) answer {
		switch {
		case a.seq == 2:
			return answer{status: http.StatusUnprocessableEntity, body: "refused by the test"}
		case a.seq == 3 && a.attempt == 1:
			return answer{status: http.StatusServiceUnavailable, body: "refused by the test"}
		}
		return answer{}
	})
	dls := newRecorder(t)
	addr := startDevserver(t)
	startProc(t, "worker", "--address", addr)
	const id = "cron-dlq"

	out, ok := starter(addr, "start", "--workflow-id", id, "--cron", "* * * * * *", "--max-ticks", "3",
		"--sink", sink.URL, "--dead-letter-sink", dls.URL)
	if !ok || !strings.Contains(out, `on cron "* * * * * *" (UTC)`) {
		t.Fatalf("start: %q", out)
	}
	attempts := sink.waitFor(t, 4, time.Minute)
	if attempts[3].ID() != attempts[2].ID() {
		t.Fatalf("attempt 4 sent %s, want tick 3 again (%s) after its 503", attempts[3].ID(), attempts[2].ID())
	}
	events := attempts[:3]
	for i, e := range events {
		if e.Time().Nanosecond() != 0 || (i > 0 && e.Time().Sub(events[i-1].Time()) != time.Second) {
			t.Errorf("cron tick %d at %v: not on whole seconds, one second apart", seqOf(e), e.Time())
		}
	}
	dead := dls.waitFor(t, 1, 30*time.Second)
	ext := dead[0].Extensions()
	if seqOf(dead[0]) != 2 || dead[0].ID() != events[1].ID() || fmt.Sprint(ext["knativeerrorcode"]) != "422" ||
		fmt.Sprint(ext["knativeerrordest"]) != sink.URL || ext["knativeerrordata"] == nil {
		t.Errorf("dead letter = %v", dead[0])
	}
	eventually(t, "the source ends after 3 ticks", 30*time.Second, func() bool {
		out, ok := starter(addr, "list")
		return ok && !strings.Contains(out, id)
	})
	if n := len(sink.events()); n != 4 {
		t.Errorf("sink got %d attempts, want 4: 3 ticks (--max-ticks) and one retry", n)
	}
	if out, ok := starter(addr, "describe", "--workflow-id", id); !ok || !regexp.MustCompile(`(?m)^state:\s+ended$`).MatchString(out) {
		t.Errorf("describe of the ended source: %s", out)
	}
	recordHistory(t, addr, id, "source-v5-cron-dead-letter-retry")
}

// checkContiguous: first deliveries carry sequences 1, 2, 3, … in order.
func checkContiguous(t *testing.T, events []cloudevents.Event) {
	t.Helper()
	want := 1
	for _, e := range events {
		switch seq := seqOf(e); {
		case seq == want:
			want++
		case seq < want:
			// a redelivery
		default:
			t.Fatalf("sequence %d arrived after %d: stream %v", seq, want-1, seqs(events))
		}
	}
}

func seqs(events []cloudevents.Event) []int {
	var out []int
	for _, e := range events {
		out = append(out, seqOf(e))
	}
	return out
}

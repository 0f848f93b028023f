package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// eventSink keeps every CloudEvent it receives, answering status(event) (200 if nil).
type eventSink struct {
	mu     sync.Mutex
	events []cloudevents.Event
	status func(cloudevents.Event) int
}

func (s *eventSink) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	e, err := cehttp.NewEventFromHTTPRequest(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.events = append(s.events, *e)
	s.mu.Unlock()
	if s.status != nil {
		if code := s.status(*e); code != http.StatusOK {
			http.Error(w, "refused by the test", code)
			return
		}
	}
}

func (s *eventSink) snapshot() []cloudevents.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cloudevents.Event(nil), s.events...)
}

func (s *eventSink) waitFor(t *testing.T, n int, within time.Duration) []cloudevents.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for len(s.snapshot()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("sink got %d events within %v, want %d", len(s.snapshot()), within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s.snapshot()
}

func seqOf(e cloudevents.Event) int {
	n, _ := strconv.Atoi(fmt.Sprint(e.Extensions()["sequence"]))
	return n
}

// startPipeline starts a devserver and a worker that sends to a new recording sink, and
// returns the devserver's address, the sink and its URL.
func startPipeline(t *testing.T) (addr string, sink *eventSink, sinkURL string) {
	t.Helper()
	sink = &eventSink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	addr = startDevserver(t)
	startProc(t, "worker", "--address", addr, "--sink", srv.URL)
	return addr, sink, srv.URL
}

// cli runs the starter against addr and returns its output and whether it exited 0.
func cli(addr string, args ...string) (string, bool) {
	out, err := exec.Command(filepath.Join(binDir, "starter"), append(args, "--address", addr)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// described is what the tests read of `starter describe --output json` and `list --output json`.
type described struct {
	WorkflowID       string
	Execution        string
	Paused           bool
	PauseReason      string
	Stopping         bool
	Finished         bool
	Interval         string
	Sequence         int64
	NextFireTime     *time.Time
	NextFireTimes    []time.Time
	Delivered        int64
	DeadLettered     int64
	Skipped          int64
	Abandoned        int64
	InFlight         any
	CloseTime        *time.Time
	StatusFrom       string
	Note             string
	AsOfRunStart     *time.Time
	SearchAttributes map[string]any
	Retry            *struct {
		Activity    string
		Attempt     int
		LastFailure string
	}
}

func describe(t *testing.T, addr, id string) described {
	t.Helper()
	d, _ := describeJSON(t, addr, id)
	return d
}

// describeJSON is describe with the JSON as the starter printed it.
func describeJSON(t *testing.T, addr, id string) (described, string) {
	t.Helper()
	out, ok := cli(addr, "describe", "--workflow-id", id, "--output", "json")
	if !ok {
		t.Fatalf("describe %s: %s", id, out)
	}
	var d described
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("describe %s: %v\n%s", id, err, out)
	}
	return d, out
}

// TestControlCommands drives every starter subcommand against the devserver and a worker,
// and checks each one's effect on the events the sink receives.
func TestControlCommands(t *testing.T) {
	addr, sink, _ := startPipeline(t)
	const id = "controlled"

	mustCLI := func(want string, args ...string) string {
		t.Helper()
		out, ok := cli(addr, args...)
		if !ok || !strings.Contains(out, want) {
			t.Fatalf("starter %v: ok=%v %q, want %q", args, ok, out, want)
		}
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		out, ok := cli(addr, args...)
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
	mustCLI("paused", "pause", "--workflow-id", id, "--reason", "maintenance")
	if d := describe(t, addr, id); !d.Paused || d.PauseReason != "maintenance" {
		t.Errorf("describe after pause: %+v", d)
	}
	if out := mustCLI(id, "list"); !strings.Contains(out, "paused (maintenance)") {
		t.Errorf("list while paused: %q", out)
	}
	time.Sleep(500 * time.Millisecond) // a delivery in flight at the pause may still land
	pausedAt := len(sink.snapshot())
	refused("paused", "trigger", "--workflow-id", id)
	time.Sleep(3 * time.Second)
	if n := len(sink.snapshot()); n != pausedAt {
		t.Fatalf("%d events arrived while paused", n-pausedAt)
	}

	// resume: the ticks missed while paused are caught up (the default policy is all).
	mustCLI("resumed", "resume", "--workflow-id", id)
	events := sink.waitFor(t, pausedAt+3, 30*time.Second)
	checkContiguous(t, events)

	// trigger: one extra tick now, with its own sequence number, off the grid.
	before := len(sink.snapshot())
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
	before = len(sink.snapshot())
	events = sink.waitFor(t, before+5, 30*time.Second)
	checkContiguous(t, events)
	last := events[len(events)-3:]
	if gap := last[2].Time().Sub(last[1].Time()); gap != 300*time.Millisecond {
		t.Errorf("ticks %v apart after update --interval 300ms", gap)
	}

	// stop: the source completes and leaves the list.
	mustCLI("stopping", "stop", "--workflow-id", id)
	waitUntil(t, "the source leaves the list", 30*time.Second, func() bool {
		out, ok := cli(addr, "list")
		return ok && !strings.Contains(out, id)
	})
	stoppedAt := len(sink.snapshot())
	time.Sleep(time.Second)
	if n := len(sink.snapshot()); n != stoppedAt {
		t.Errorf("%d events after the source stopped", n-stoppedAt)
	}
	refused("stop", "stop", "--workflow-id", id)
	if d := describe(t, addr, id); !d.Finished || !d.Stopping || d.NextFireTime != nil {
		t.Errorf("describe after the stop: finished %v, stopping %v, next fire time %v; want true, true, none",
			d.Finished, d.Stopping, d.NextFireTime)
	}
	if out := mustCLI("state:", "describe", "--workflow-id", id); !regexp.MustCompile(`(?m)^state:\s+stopped$`).MatchString(out) {
		t.Errorf("describe after the stop:\n%s\nwant state: stopped", out)
	}
	recordHistory(t, addr, id, "source-v5-controls")
}

// TestCronMaxTicksAndDeadLetter starts a cron source with --max-ticks whose sink refuses one
// tick for good and fails the first attempt of another, and checks that the refused tick went
// to the dead-letter sink the Knative way and the failed one was sent again.
func TestCronMaxTicksAndDeadLetter(t *testing.T) {
	var mu sync.Mutex
	failed := false
	sink := &eventSink{status: func(e cloudevents.Event) int {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case seqOf(e) == 2:
			return http.StatusUnprocessableEntity
		case seqOf(e) == 3 && !failed:
			failed = true
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	dls := &eventSink{}
	dlsSrv := httptest.NewServer(dls)
	defer dlsSrv.Close()
	addr := startDevserver(t)
	startProc(t, "worker", "--address", addr)
	const id = "cron-dlq"

	out, ok := cli(addr, "start", "--workflow-id", id, "--cron", "* * * * * *", "--max-ticks", "3",
		"--sink", srv.URL, "--dead-letter-sink", dlsSrv.URL)
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
		fmt.Sprint(ext["knativeerrordest"]) != srv.URL || ext["knativeerrordata"] == nil {
		t.Errorf("dead letter = %v", dead[0])
	}
	waitUntil(t, "the source ends after 3 ticks", 30*time.Second, func() bool {
		out, ok := cli(addr, "list")
		return ok && !strings.Contains(out, id)
	})
	if n := len(sink.snapshot()); n != 4 {
		t.Errorf("sink got %d attempts, want 4: 3 ticks (--max-ticks) and one retry", n)
	}
	if out, ok := cli(addr, "describe", "--workflow-id", id); !ok || !regexp.MustCompile(`(?m)^state:\s+ended$`).MatchString(out) {
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

func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestUpdatesSurviveContinueAsNew sends trigger after trigger to a source that continues as new
// every two ticks: every accepted trigger must give exactly one extra tick.
func TestUpdatesSurviveContinueAsNew(t *testing.T) {
	addr, sink, _ := startPipeline(t)
	const id, triggers = "racing", 8

	if out, ok := cli(addr, "start", "--workflow-id", id, "--interval", "200ms", "--continue-as-new-after", "2"); !ok {
		t.Fatalf("start: %s", out)
	}
	anchor := sink.waitFor(t, 1, time.Minute)[0].Time().Add(-200 * time.Millisecond)
	for i := range triggers {
		if out, ok := cli(addr, "trigger", "--workflow-id", id); !ok {
			t.Fatalf("trigger %d: %s", i+1, out)
		}
	}
	// The triggered ticks are those off the grid, counted once each: a tick may arrive twice,
	// with its id, when the workflow task that sent it failed racing a continue-as-new.
	offGrid := func() int {
		ids := map[string]bool{}
		for _, e := range sink.snapshot() {
			if e.Time().Sub(anchor)%(200*time.Millisecond) != 0 {
				ids[e.ID()] = true
			}
		}
		return len(ids)
	}
	waitUntil(t, fmt.Sprintf("%d triggered ticks arrive", triggers), 30*time.Second, func() bool { return offGrid() >= triggers })
	time.Sleep(time.Second)
	if n := offGrid(); n != triggers {
		var got []string
		for _, e := range sink.snapshot() {
			got = append(got, fmt.Sprintf("%d@%s", seqOf(e), e.Time().Sub(anchor)))
		}
		t.Errorf("%d triggered ticks arrived, want %d: %v", n, triggers, got)
	}
	checkContiguous(t, sink.snapshot())
	// An id is one event: a tick sent again carries its first time. (A first attempt made
	// locally in a workflow task that the server dropped once sent one id with two times.)
	timeOf := map[string]time.Time{}
	for _, e := range sink.snapshot() {
		if first, seen := timeOf[e.ID()]; seen && !first.Equal(e.Time()) {
			t.Errorf("id %s arrived with time %v and %v", e.ID(), first.Sub(anchor), e.Time().Sub(anchor))
		}
		timeOf[e.ID()] = e.Time()
	}
	if out, ok := cli(addr, "stop", "--workflow-id", id); !ok {
		t.Fatalf("stop: %s", out)
	}
}

// TestOneWorkerManySources runs three sources with their own settings on one worker: each
// keeps its own unbroken stream.
func TestOneWorkerManySources(t *testing.T) {
	addr, sink, _ := startPipeline(t)

	sources := map[string][]string{
		"urn:a": {"--interval", "1s", "--type", "com.example.a"},
		"urn:b": {"--interval", "700ms", "--type", "com.example.b", "--content-mode", "structured"},
		"urn:c": {"--cron", "* * * * * *", "--type", "com.example.c", "--data", "tick", "--data-content-type", "text/plain"},
	}
	for src, args := range sources {
		id := strings.TrimPrefix(src, "urn:")
		if out, ok := cli(addr, append([]string{"start", "--workflow-id", id, "--source", src}, args...)...); !ok {
			t.Fatalf("start %s: %s", id, out)
		}
	}
	waitUntil(t, "four ticks from every source", time.Minute, func() bool {
		n := map[string]int{}
		for _, e := range sink.snapshot() {
			n[e.Source()]++
		}
		return n["urn:a"] >= 4 && n["urn:b"] >= 4 && n["urn:c"] >= 4
	})
	bySource := map[string][]cloudevents.Event{}
	for _, e := range sink.snapshot() {
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

package e2e

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/hello-cron/cronsource/workflows"
)

// The helpers every e2e test shares: the recording sink, the poll, the starter and what its
// describe and list print.

// eventually polls cond until it holds, and fails the test if it does not within the given
// time. It polls often at first and every 200 ms after, as cond may run a binary. A caller
// that wants the last state shown logs it in a deferred function, which the Fatal runs.
func eventually(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for wait := 10 * time.Millisecond; !cond(); wait = min(2*wait, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(wait)
	}
}

// arrival is one request that reached a recorder, with how the recorder answered it.
type arrival struct {
	// event is the CloudEvent posted; nil if the request was not a CloudEvent POST.
	event *cloudevents.Event
	// id, seq and scheduled are the event's id, sequence extension and time.
	id        string
	seq       int
	scheduled time.Time
	// attempt counts the arrivals of this event (its source and id), this one included.
	attempt int
	at      time.Time
	status  int
	method  string
	path    string
	header  http.Header
	// body is the request body, which the event's data is in binary mode.
	body string
	tls  bool
}

func (a arrival) accepted() bool { return a.status >= 200 && a.status < 300 }

// answer is how a recorder answers one CloudEvent POST. The zero answer is a 200.
type answer struct {
	status     int
	delay      time.Duration // before answering
	retryAfter string
	location   string // a redirect's Location
	body       string
	// stall, if set, makes the recorder send the status line and headers of a 100-byte body,
	// then hold the body until stall is closed or the client gives up.
	stall <-chan struct{}
}

// recorder is the tests' own sink: it keeps every request, with its CloudEvent and headers,
// and answers each CloudEvent POST as its answer function says (200 if none). It answers 400
// to any other request, and keeps that too.
type recorder struct {
	URL string // where newRecorder serves it

	mu       sync.Mutex
	answer   func(arrival) answer
	arrivals []arrival
	attempts map[string]int // by the event's source and id
}

// newRecorder serves a new recorder on 127.0.0.1 until the test ends.
func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// setAnswer switches how every later CloudEvent POST is answered.
func (r *recorder) setAnswer(f func(arrival) answer) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	a := arrival{at: time.Now(), method: req.Method, path: req.URL.Path, header: req.Header.Clone(),
		body: string(body), tls: req.TLS != nil, status: http.StatusBadRequest}
	e, err := cehttp.NewEventFromHTTPRequest(req)
	if err != nil || req.Method != http.MethodPost {
		r.mu.Lock()
		r.arrivals = append(r.arrivals, a)
		r.mu.Unlock()
		http.Error(w, "not a CloudEvent POST", http.StatusBadRequest)
		return
	}
	a.event, a.id, a.scheduled = e, e.ID(), e.Time()
	a.seq, _ = strconv.Atoi(fmt.Sprint(e.Extensions()["sequence"]))
	r.mu.Lock()
	if r.attempts == nil {
		r.attempts = map[string]int{}
	}
	key := e.Source() + " " + e.ID()
	r.attempts[key]++
	a.attempt = r.attempts[key]
	var ans answer
	if r.answer != nil {
		ans = r.answer(a) // under the lock: one request at a time
	}
	a.status = cmp.Or(ans.status, http.StatusOK)
	r.arrivals = append(r.arrivals, a)
	r.mu.Unlock()

	time.Sleep(ans.delay)
	if ans.retryAfter != "" {
		w.Header().Set("Retry-After", ans.retryAfter)
	}
	if ans.location != "" {
		w.Header().Set("Location", ans.location)
	}
	if ans.stall == nil {
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, ans.body)
		return
	}
	w.Header().Set("Content-Length", "100")
	w.WriteHeader(a.status)
	w.(http.Flusher).Flush()
	select {
	case <-req.Context().Done():
	case <-ans.stall:
	}
}

// all is every request so far, in the order they arrived.
func (r *recorder) all() []arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]arrival(nil), r.arrivals...)
}

// events is every CloudEvent so far, in the order they arrived.
func (r *recorder) events() []cloudevents.Event {
	var events []cloudevents.Event
	for _, a := range r.all() {
		if a.event != nil {
			events = append(events, *a.event)
		}
	}
	return events
}

// waitFor waits until at least n CloudEvents arrived, and returns them.
func (r *recorder) waitFor(t *testing.T, n int, within time.Duration) []cloudevents.Event {
	t.Helper()
	var events []cloudevents.Event
	defer func() { // runs on the Fatal too
		if len(events) < n {
			t.Logf("the sink got %d events", len(events))
		}
	}()
	eventually(t, fmt.Sprintf("%d events at the sink", n), within, func() bool {
		events = r.events()
		return len(events) >= n
	})
	return events
}

// starter runs the starter against the devserver at addr, and returns its output, trimmed,
// and whether it exited 0.
func starter(addr string, args ...string) (string, bool) { return starterEnv(addr, nil, args...) }

// starterEnv is starter with env ("NAME=value") added to the test's environment.
func starterEnv(addr string, env []string, args ...string) (string, bool) {
	cmd := exec.Command(filepath.Join(binDir, "starter"), append(args, "--address", addr)...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// mustStarter is starter that fails the test unless the starter exits 0.
func mustStarter(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, ok := starter(addr, args...)
	if !ok {
		t.Fatalf("starter %v: %s", args, out)
	}
	return out
}

// report is what the tests read of `starter describe --output json` and of each entry of
// `starter list --output json`: the source's workflows.Status and what describe adds to it.
// The additions copy those of the starter's report type (starter/report.go), which the tests
// cannot import: it is in package main.
type report struct {
	workflows.Status
	Execution        string         `json:"execution"`
	CloseTime        *time.Time     `json:"closeTime,omitempty"`
	StatusFrom       string         `json:"statusFrom"`
	Note             string         `json:"note,omitempty"`
	AsOfRunStart     *time.Time     `json:"asOfRunStart,omitempty"`
	SearchAttributes map[string]any `json:"searchAttributes,omitempty"`
	Retry            *struct {
		Activity    string `json:"activity"`
		Attempt     int    `json:"attempt"`
		LastFailure string `json:"lastFailure,omitempty"`
	} `json:"retry,omitempty"`
}

func describe(t *testing.T, addr, id string, args ...string) report {
	t.Helper()
	d, _ := describeJSON(t, addr, id, args...)
	return d
}

// describeJSON is describe with the JSON as the starter printed it. args are extra flags.
func describeJSON(t *testing.T, addr, id string, args ...string) (report, string) {
	t.Helper()
	out := mustStarter(t, addr, append([]string{"describe", "--workflow-id", id, "--output", "json"}, args...)...)
	var d report
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("describe %s: %v\n%s", id, err, out)
	}
	return d, out
}

// listJSON is `starter list --output json` with args, and the JSON as the starter printed it.
func listJSON(t *testing.T, addr string, args ...string) ([]report, string) {
	t.Helper()
	out := mustStarter(t, addr, append([]string{"list", "--output", "json"}, args...)...)
	var l []report
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("list %v: %v\n%s", args, err, out)
	}
	return l, out
}

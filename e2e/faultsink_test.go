package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// arrival is one request that reached the fault sink, with the status the sink answered.
type arrival struct {
	id        string
	seq       int
	scheduled time.Time // the event's time
	at        time.Time
	status    int
	method    string
	path      string
	// body is the request body, which the event's data is in binary mode.
	body string
}

func (a arrival) accepted() bool { return a.status >= 200 && a.status < 300 }

// answer is how the fault sink answers one POST.
type answer struct {
	status     int
	delay      time.Duration // before answering
	retryAfter string
	location   string // a redirect's Location
}

// movedPath is where the fault sink takes events that it redirected to itself: always 200.
const movedPath = "/moved"

// faultSink is the fault suite's own recording sink, independent of events-service. A
// scenario switches how it answers and can take it off the network and back on its address.
type faultSink struct {
	addr string

	mu       sync.Mutex
	answer   func(seq int) answer
	arrivals []arrival
	server   *http.Server
}

func newFaultSink(t *testing.T) *faultSink {
	t.Helper()
	s := &faultSink{answer: func(int) answer { return answer{status: http.StatusOK} }}
	s.up(t, "127.0.0.1:0")
	t.Cleanup(s.down)
	return s
}

func (s *faultSink) url() string { return "http://" + s.addr }

// setAnswer switches how every later POST is answered.
func (s *faultSink) setAnswer(f func(seq int) answer) {
	s.mu.Lock()
	s.answer = f
	s.mu.Unlock()
}

// down closes the listener and every connection: the worker then gets connection refused.
func (s *faultSink) down() {
	s.mu.Lock()
	srv := s.server
	s.server = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// up listens on addr ("host:0" picks a port the first time; later calls reuse the address).
func (s *faultSink) up(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("fault sink listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.addr = l.Addr().String()
	s.server = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("fault sink: %v", err)
		}
	}()
}

func (s *faultSink) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	e, err := cehttp.NewEventFromHTTPRequest(req)
	if err != nil || req.Method != http.MethodPost {
		s.mu.Lock()
		s.arrivals = append(s.arrivals, arrival{at: time.Now(), status: http.StatusBadRequest, method: req.Method, path: req.URL.Path})
		s.mu.Unlock()
		http.Error(w, fmt.Sprintf("not a CloudEvent POST: %v", err), http.StatusBadRequest)
		return
	}
	seqText, _ := e.Extensions()["sequence"].(string)
	seq, err := strconv.Atoi(seqText)
	if err != nil {
		http.Error(w, "sequence: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	a := s.answer(seq)
	if req.URL.Path == movedPath {
		a = answer{status: http.StatusOK}
	}
	s.arrivals = append(s.arrivals, arrival{id: e.ID(), seq: seq, scheduled: e.Time(), at: time.Now(), status: a.status,
		method: req.Method, path: req.URL.Path, body: string(body)})
	s.mu.Unlock()

	time.Sleep(a.delay)
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	if a.location != "" {
		w.Header().Set("Location", a.location)
	}
	w.WriteHeader(a.status)
}

func (s *faultSink) snapshot() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.arrivals...)
}

// waitUntil polls the arrivals until cond holds.
func (s *faultSink) waitUntil(t *testing.T, what string, within time.Duration, cond func([]arrival) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond(s.snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (%d arrivals)", what, within, len(s.snapshot()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAccepted waits until n ticks were accepted, and returns the arrival of the nth.
func (s *faultSink) waitAccepted(t *testing.T, n int, within time.Duration) {
	t.Helper()
	s.waitUntil(t, strconv.Itoa(n)+" ticks accepted", within, func(as []arrival) bool {
		return countAccepted(as) >= n
	})
}

// waitArrival waits for the first arrival of tick seq.
func (s *faultSink) waitArrival(t *testing.T, seq int, within time.Duration) {
	t.Helper()
	s.waitUntil(t, "tick "+strconv.Itoa(seq)+" arrives", within, func(as []arrival) bool {
		for _, a := range as {
			if a.seq == seq {
				return true
			}
		}
		return false
	})
}

func countAccepted(as []arrival) int {
	seen := map[int]bool{}
	for _, a := range as {
		if a.accepted() {
			seen[a.seq] = true
		}
	}
	return len(seen)
}

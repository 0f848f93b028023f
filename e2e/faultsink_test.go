package e2e

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultSink is the fault suite's sink, independent of events-service: a recorder that a
// scenario can also take off the network and put back on its address, where the worker gets
// connection refused meanwhile. A scenario switches how it answers with setAnswer.
type faultSink struct {
	*recorder

	mu     sync.Mutex
	server *http.Server
}

func newFaultSink(t *testing.T) *faultSink {
	t.Helper()
	s := &faultSink{recorder: &recorder{}}
	s.up(t, "127.0.0.1:0")
	t.Cleanup(s.down)
	return s
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

// up listens on addr ("host:0" picks a port the first time; later calls pass its address).
func (s *faultSink) up(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("fault sink listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: s.recorder, ReadHeaderTimeout: 5 * time.Second}
	s.URL = "http://" + l.Addr().String() // the test's goroutine is the only one to read it
	s.mu.Lock()
	s.server = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("fault sink: %v", err)
		}
	}()
}

// addr is the sink's host and port.
func (s *faultSink) addr() string { return strings.TrimPrefix(s.URL, "http://") }

// waitUntil polls the arrivals until cond holds.
func (s *faultSink) waitUntil(t *testing.T, what string, within time.Duration, cond func([]arrival) bool) {
	t.Helper()
	var as []arrival
	held := false
	defer func() { // runs on the Fatal too
		if !held {
			t.Logf("%d arrivals at the sink", len(as))
		}
	}()
	eventually(t, what, within, func() bool {
		as = s.all()
		held = cond(as)
		return held
	})
}

// waitAccepted waits until n ticks were accepted.
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

package activities

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// testSink is an httptest sink that answers every request with one status and body, and
// records the last request it got.
type testSink struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	header   http.Header
	body     []byte
}

// newTestSink starts a sink answering status with body; it is closed when the test ends.
func newTestSink(t *testing.T, status int, body string) *testSink {
	t.Helper()
	s := &testSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("sink: read body: %v", err)
		}
		s.mu.Lock()
		s.requests++
		s.header, s.body = r.Header.Clone(), b
		s.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// last returns the number of requests so far and the last one's headers and body.
func (s *testSink) last() (requests int, header http.Header, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.header, s.body
}

// event decodes the last request as a CloudEvent, in either content mode.
func (s *testSink) event(t *testing.T) cloudevents.Event {
	t.Helper()
	n, header, body := s.last()
	if n == 0 {
		t.Fatal("the sink got no request")
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header = header
	req.Body = io.NopCloser(bytes.NewReader(body))
	e, err := cehttp.NewEventFromHTTPRequest(req)
	if err != nil {
		t.Fatalf("decode the sink's request as an event: %v", err)
	}
	return *e
}

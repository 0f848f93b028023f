package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/internal/metrics/metricstest"
)

// testLimiter is a limiter with the defaults of the flags.
func testLimiter() *limiter { return newLimiter(defaultMaxInFlight, defaultMaxBufferedBytes) }

func TestLimiter(t *testing.T) {
	type step struct {
		release bool  // release n instead of acquiring it
		n       int64 // bytes
		wantErr string
	}
	acquire := func(n int64) step { return step{n: n} }
	refuse := func(n int64, why string) step { return step{n: n, wantErr: why} }
	release := func(n int64) step { return step{release: true, n: n} }
	tests := []struct {
		name          string
		maxInFlight   int
		maxBytes      int64
		steps         []step
		wantInFlight  int
		wantBytesHeld int64
	}{
		{name: "up to max in flight", maxInFlight: 2, maxBytes: 100,
			steps:        []step{acquire(1), acquire(1), refuse(0, "2 events in flight, the most allowed")},
			wantInFlight: 2, wantBytesHeld: 2},
		{name: "release frees a slot", maxInFlight: 1, maxBytes: 100,
			steps:        []step{acquire(1), refuse(1, "in flight"), release(1), acquire(1)},
			wantInFlight: 1, wantBytesHeld: 1},
		{name: "up to max bytes", maxInFlight: 10, maxBytes: 100,
			steps:        []step{acquire(60), acquire(40), refuse(1, "100 of 100 body bytes reserved, no room for 1 more")},
			wantInFlight: 2, wantBytesHeld: 100},
		{name: "a refusal takes nothing", maxInFlight: 10, maxBytes: 100,
			steps:        []step{acquire(60), refuse(41, "60 of 100 body bytes reserved"), acquire(40)},
			wantInFlight: 2, wantBytesHeld: 100},
		{name: "release frees bytes", maxInFlight: 10, maxBytes: 100,
			steps:        []step{acquire(100), refuse(1, "bytes"), release(100), acquire(100)},
			wantInFlight: 1, wantBytesHeld: 100},
		{name: "zero bytes still take a slot", maxInFlight: 1, maxBytes: 100,
			steps:        []step{acquire(0), refuse(0, "1 events in flight")},
			wantInFlight: 1, wantBytesHeld: 0},
		{name: "all released", maxInFlight: 2, maxBytes: 100,
			steps: []step{acquire(30), acquire(70), release(30), release(70)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(tt.maxInFlight, tt.maxBytes)
			for i, st := range tt.steps {
				if st.release {
					l.release(st.n)
					continue
				}
				err := l.tryAcquire(st.n)
				switch {
				case st.wantErr == "" && err != nil:
					t.Fatalf("step %d: tryAcquire(%d) = %v, want nil", i, st.n, err)
				case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
					t.Fatalf("step %d: tryAcquire(%d) = %v, want an error containing %q", i, st.n, err, st.wantErr)
				}
			}
			if n, b := l.usage(); n != tt.wantInFlight || b != tt.wantBytesHeld {
				t.Errorf("usage = %d in flight, %d bytes; want %d, %d", n, b, tt.wantInFlight, tt.wantBytesHeld)
			}
		})
	}
}

func TestLimiterConcurrent(t *testing.T) {
	const callers, maxInFlight = 64, 5
	l := newLimiter(maxInFlight, 1<<20)
	start := make(chan struct{})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
	)
	for range callers {
		wg.Go(func() {
			<-start
			if l.tryAcquire(1) == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if admitted != maxInFlight {
		t.Errorf("%d of %d concurrent callers admitted, want %d", admitted, callers, maxInFlight)
	}
}

// TestHandlerLimits holds POSTs in the handler, their bodies not yet sent, and checks how the
// next POST is answered, that GETs are not limited, the refusal metric, and that the handler
// releases what it reserved.
func TestHandlerLimits(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name        string
		maxInFlight int
		maxBytes    int64
		holding     []int64 // Content-Length of each held POST; -1 for an unknown length
		next        int64   // Content-Length of the next POST; -1 for an unknown length
		wantStatus  int
	}{
		{name: "in flight below the bound", maxInFlight: 3, maxBytes: 32 * mib, holding: []int64{10, 10}, next: 10, wantStatus: http.StatusOK},
		{name: "in flight at the bound", maxInFlight: 2, maxBytes: 32 * mib, holding: []int64{10, 10}, next: 10, wantStatus: http.StatusServiceUnavailable},
		{name: "bytes fit", maxInFlight: 64, maxBytes: 2 * mib, holding: []int64{mib, mib - 10}, next: 10, wantStatus: http.StatusOK},
		{name: "bytes do not fit", maxInFlight: 64, maxBytes: 2 * mib, holding: []int64{mib, mib - 10}, next: 11, wantStatus: http.StatusServiceUnavailable},
		{name: "unknown length reserves 1 MiB", maxInFlight: 64, maxBytes: 2 * mib, holding: []int64{-1, 1}, next: mib, wantStatus: http.StatusServiceUnavailable},
		{name: "unknown length fits", maxInFlight: 64, maxBytes: 2 * mib, holding: []int64{-1}, next: -1, wantStatus: http.StatusOK},
		{name: "unknown length does not fit", maxInFlight: 64, maxBytes: 2 * mib, holding: []int64{-1, 10}, next: -1, wantStatus: http.StatusServiceUnavailable},
		{name: "empty body needs only a slot", maxInFlight: 64, maxBytes: 2 * mib, holding: []int64{mib, mib}, next: 0, wantStatus: http.StatusOK},
		{name: "over 1 MiB stays 413 when full", maxInFlight: 1, maxBytes: mib, holding: []int64{10}, next: mib + 1, wantStatus: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := newLimiter(tt.maxInFlight, tt.maxBytes)
			h := newHandler(zap.NewNop(), newSeenEvents(16), lim)

			// Hold the POSTs: each handler blocks reading a body that is not written yet.
			var wg sync.WaitGroup
			writers := make([]*io.PipeWriter, len(tt.holding))
			codes := make([]int, len(tt.holding))
			for i, n := range tt.holding {
				pr, pw := io.Pipe()
				writers[i] = pw
				req := binaryPost(t, pr, n)
				wg.Go(func() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					codes[i] = rec.Code
				})
			}
			t.Cleanup(func() {
				for _, pw := range writers {
					pw.CloseWithError(io.ErrUnexpectedEOF)
				}
				wg.Wait()
			})
			waitUsage(t, lim, len(tt.holding))

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, binaryPost(t, strings.NewReader(strings.Repeat("x", int(max(tt.next, 10)))), tt.next))
			if rec.Code != tt.wantStatus {
				t.Fatalf("next POST: status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			var wantRefused float64
			if tt.wantStatus == http.StatusServiceUnavailable {
				wantRefused = 1
				if got := rec.Header().Get("Retry-After"); got != "1" {
					t.Errorf("Retry-After = %q, want \"1\"", got)
				}
				checkBody(t, rec.Body.String(), "busy: ", true)
			} else if got := rec.Header().Get("Retry-After"); got != "" {
				t.Errorf("Retry-After = %q on a %d, want none", got, rec.Code)
			}

			// The routes other than POST / answer while the POSTs are held.
			for _, path := range []string{"/", "/healthz", "/readyz", "/metrics"} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					t.Errorf("GET %s while full = %d, want 200", path, rec.Code)
				}
			}
			if got := refusedMetric(t, h); got != wantRefused {
				t.Errorf("%s = %v, want %v", metricRefused, got, wantRefused)
			}

			// Send the held bodies: every held POST is processed and releases what it took.
			for i, pw := range writers {
				go func() {
					_, _ = io.WriteString(pw, strings.Repeat("x", int(max(tt.holding[i], 10))))
					pw.Close()
				}()
			}
			wg.Wait()
			for i, c := range codes {
				if c != http.StatusOK {
					t.Errorf("held POST %d: status = %d, want 200", i, c)
				}
			}
			if n, b := lim.usage(); n != 0 || b != 0 {
				t.Errorf("after all returned: %d in flight, %d bytes reserved; want 0, 0", n, b)
			}
		})
	}
}

// binaryPost is a binary-mode POST / of body with the given Content-Length (-1: unknown).
func binaryPost(t *testing.T, body io.Reader, contentLength int64) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", body)
	req.ContentLength = contentLength
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "e1", "ce-source": "/s", "ce-type": "t"} {
		req.Header.Set(k, v)
	}
	return req
}

// waitUsage waits until n requests are in flight in lim.
func waitUsage(t *testing.T, lim *limiter, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := lim.usage()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in flight after 10s, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func refusedMetric(t *testing.T, h http.Handler) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	families, err := metricstest.Parse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, found := families.Value(metricRefused, nil)
	if !found {
		t.Fatalf("no %s in /metrics: %s", metricRefused, families.Names())
	}
	return got
}

package main

import (
	"fmt"
	"sync"
)

// Defaults of --max-in-flight and --max-buffered-bytes. The hello-events Knative Service sets
// the same numbers, and its containerConcurrency, explicitly.
const (
	defaultMaxInFlight      = 64
	defaultMaxBufferedBytes = 32 << 20
)

// limiter bounds what POST / may hold at once: requests in flight, and body bytes reserved for
// buffering. Without it, slow clients that each send all but the last byte of a 1 MiB body can
// make the process buffer without limit until it is killed for lack of memory. It never
// blocks: a request that does not fit is refused at once (and answered 503 with Retry-After).
// It is safe for concurrent use.
type limiter struct {
	maxInFlight int
	maxBytes    int64

	mu       sync.Mutex
	inFlight int
	bytes    int64
}

// newLimiter returns a limiter that admits up to maxInFlight requests holding up to maxBytes
// reserved bytes in all.
func newLimiter(maxInFlight int, maxBytes int64) *limiter {
	return &limiter{maxInFlight: maxInFlight, maxBytes: maxBytes}
}

// tryAcquire takes one request slot and n bytes, or nothing: the error says which bound is
// reached. Every nil return must be paired with one release(n).
func (l *limiter) tryAcquire(n int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight >= l.maxInFlight {
		return fmt.Errorf("%d events in flight, the most allowed", l.maxInFlight)
	}
	if l.bytes+n > l.maxBytes {
		return fmt.Errorf("%d of %d body bytes reserved, no room for %d more", l.bytes, l.maxBytes, n)
	}
	l.inFlight++
	l.bytes += n
	return nil
}

// release gives back the slot and the n bytes that a successful tryAcquire(n) took.
func (l *limiter) release(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	l.bytes -= n
}

// usage returns the requests in flight and the bytes reserved now.
func (l *limiter) usage() (inFlight int, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight, l.bytes
}

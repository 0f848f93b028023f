package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSinkLoadBoundsMemory is issue 15's finding 4: slow clients that each send all but the
// last byte of a 1 MiB POST made events-service buffer every body until it was killed for lack
// of memory. With --max-in-flight 8 and --max-buffered-bytes 8 MiB, 200 such clients must get
// 8 held and 192 answered 503 with Retry-After, the process must stay small, and GET / must
// still answer at once.
//
// The RSS bound, 100 MiB: the 8 admitted bodies are 8 MiB, and the Go runtime, 200
// connections (a goroutine and buffers of a few KiB each) and the binary add some 20 MiB more;
// without the bounds the 200 bodies alone are 200 MiB.
func TestSinkLoadBoundsMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the process's RSS from /proc")
	}
	const (
		conns     = 200
		inFlight  = 8
		bodyBytes = 1 << 20
		maxRSS    = 100 << 20
	)
	port := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	proc := startProc(t, "events-service", "--port", strconv.Itoa(port), "--host", "127.0.0.1",
		"--max-in-flight", strconv.Itoa(inFlight), "--max-buffered-bytes", strconv.Itoa(inFlight*bodyBytes),
		"--log-level", "warn")
	waitHTTP(t, "http://"+addr+"/readyz", http.StatusOK)
	pid := proc.Process.Pid
	baseRSS := rss(t, pid)

	// Sample the RSS until the end, keeping the peak.
	var peakRSS atomic.Int64
	peakRSS.Store(baseRSS)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				if v, ok := parseVmRSS(string(b)); ok && v > peakRSS.Load() {
					peakRSS.Store(v)
				}
			}
		}
	}()

	// Each client sends the headers and all but the last byte of a 1 MiB binary-mode event, then
	// waits for an answer: the refused get one at once, the admitted never, as the body never ends.
	answers := make(chan loadAnswer, conns)
	var clients sync.WaitGroup
	var open []net.Conn
	t.Cleanup(func() {
		for _, c := range open {
			c.Close()
		}
		clients.Wait()
		close(stopSampling)
		<-sampled
	})
	body := strings.Repeat("x", bodyBytes-1)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		open = append(open, c)
		clients.Go(func() {
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nce-specversion: 1.0\r\nce-id: load-%d\r\n"+
				"ce-source: /e2e/sinkload\r\nce-type: dev.hello-cron.tick\r\n"+
				"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", addr, i, bodyBytes)
			if _, err := io.WriteString(c, head); err != nil {
				answers <- loadAnswer{err: fmt.Errorf("write headers: %w", err)}
				return
			}
			// A refused client's body may not all be taken: its answer comes first.
			clients.Go(func() { _, _ = io.WriteString(c, body) })
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				if !isClosed(err) {
					answers <- loadAnswer{err: err}
				}
				return // the test closed the connection of an admitted client
			}
			res.Body.Close()
			answers <- loadAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
		})
	}

	// All but the admitted are answered, and each answer is a 503 with Retry-After: 1. The
	// test goes on when they are not, to measure the memory too.
	wantRefused := conns - inFlight
	got := receiveUpTo(answers, wantRefused, 10*time.Second)
	if len(got) < wantRefused {
		t.Errorf("%d of %d clients answered within 10s, want %d refused with 503", len(got), conns, wantRefused)
	}
	for i, a := range got {
		if a.err != nil || a.status != http.StatusServiceUnavailable || a.retryAfter != "1" {
			t.Errorf("answer %d: status %d, Retry-After %q, err %v; want 503 with Retry-After 1",
				i, a.status, a.retryAfter, a.err)
		}
	}

	// GET / answers fast while the admitted clients hang.
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	res, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET / while loaded: %v", err)
	}
	res.Body.Close()
	if elapsed := time.Since(start); res.StatusCode != http.StatusOK || elapsed > time.Second {
		t.Errorf("GET / while loaded = %d in %v, want 200 within 1s", res.StatusCode, elapsed)
	}

	now := rss(t, pid)
	peak := max(peakRSS.Load(), now)
	t.Logf("RSS of events-service: %d MiB before, %d MiB with %d clients hanging, peak %d MiB",
		baseRSS>>20, now>>20, conns, peak>>20)
	if peak > maxRSS {
		t.Errorf("RSS peaked at %d MiB, want at most %d MiB", peak>>20, maxRSS>>20)
	}
	select {
	case a := <-answers:
		t.Errorf("an admitted client was answered while its body was incomplete: %+v", a)
	default:
	}
}

// loadAnswer is how a client's request was answered.
type loadAnswer struct {
	status     int
	retryAfter string
	err        error
}

// receiveUpTo receives up to n answers from ch, for at most within.
func receiveUpTo(ch <-chan loadAnswer, n int, within time.Duration) []loadAnswer {
	var got []loadAnswer
	timeout := time.After(within)
	for len(got) < n {
		select {
		case a := <-ch:
			got = append(got, a)
		case <-timeout:
			return got
		}
	}
	return got
}

// isClosed reports whether err comes from reading a connection that the test closed.
func isClosed(err error) bool {
	return strings.Contains(err.Error(), "use of closed network connection")
}

// rss returns the resident set size of process pid.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := parseVmRSS(string(b))
	if !ok {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	return v
}

// parseVmRSS reads the VmRSS line of a /proc/<pid>/status file, in bytes.
func parseVmRSS(status string) (int64, bool) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}

// Package e2e runs the real binaries together: devserver on a temp file, worker, starter, and a
// recording sink written here, then restarts everything on the same file.
package e2e

import (
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdklog "go.temporal.io/sdk/log"
)

var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if !flagSet("test.parallel") {
		// The fault scenarios mostly wait on timers and sinks: run them all at once.
		_ = flag.Set("test.parallel", "16")
	}
	dir, err := os.MkdirTemp("", "e2e-bin")
	if err != nil {
		panic(err)
	}
	for _, b := range []string{"devserver", "worker", "starter", "events-service"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b), "../"+b)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b, err, out)
			os.Exit(1)
		}
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// quietSDKLogger keeps the SDK's own logging out of test output.
func quietSDKLogger() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// startProc starts a binary and kills it at cleanup unless stopped before. Its output goes to a
// file whose end is shown if the test fails.
func startProc(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	return startProcEnv(t, nil, name, args...)
}

// startProcEnv is startProc with env ("NAME=value") added to the test's environment.
func startProcEnv(t *testing.T, env []string, name string, args ...string) *exec.Cmd {
	t.Helper()
	if name == "worker" && !slices.Contains(args, "--metrics-addr") {
		args = append(args, "--metrics-addr", "127.0.0.1:0") // many workers run at once
	}
	if name == "devserver" && !slices.Contains(args, "--ui-port") && !slices.Contains(args, "--headless") {
		// Only the Web UI tests want the UI: elsewhere it would hold --port + 1000 too, which
		// many devservers at once could collide on.
		args = append(args, "--headless")
	}
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := os.CreateTemp(t.TempDir(), name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("last lines of %s %s:\n%s", name, strings.Join(args, " "),
				strings.Join(lines[max(0, len(lines)-15):], "\n"))
		}
	})
	return cmd
}

func stopProc(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM", cmd.Path, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30 s of SIGTERM", cmd.Path)
	}
}

// startDevserver runs a devserver on a new file and returns its address.
func startDevserver(t *testing.T) string {
	t.Helper()
	dev := startProc(t, "devserver", "--db-filename", filepath.Join(t.TempDir(), "temporal.db"), "--port", "0")
	return readyAddress(t, dev)
}

// readyAddress waits for a devserver's ready line and returns the frontend's address from it:
// with --port 0 the kernel picked the port.
func readyAddress(t *testing.T, dev *exec.Cmd) string {
	t.Helper()
	line := waitOutput(t, dev, "devserver ready:")
	m := regexp.MustCompile(`Temporal at (\S+),`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in the ready line %q", line)
	}
	return m[1]
}

// waitHTTP polls url until it answers status.
func waitHTTP(t *testing.T, url string, status int) {
	t.Helper()
	last := "nothing yet"
	ok := false
	defer func() { // runs on the Fatal too
		if !ok {
			t.Logf("GET %s: last answer %s", url, last)
		}
	}()
	eventually(t, fmt.Sprintf("GET %s answers %d", url, status), 60*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			return false
		}
		resp.Body.Close()
		last, ok = resp.Status, resp.StatusCode == status
		return ok
	})
}

// freePort is a port of 127.0.0.1 that is free now. It picks below both the kernel's ephemeral ports (32768 and up), which any outgoing
// connection may take before the binary binds, and the devserver's internal ports (20000 and
// up).
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 10000 + rand.IntN(10000)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port in 10000-19999")
	return 0
}

// busyPort is a port of 127.0.0.1 that a listener holds until the test ends.
func busyPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestSourceEndToEndAcrossRestart(t *testing.T) {
	rec := newRecorder(t)
	db := filepath.Join(t.TempDir(), "data", "temporal.db")
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	const interval = time.Second

	// The worker starts first: it must wait for the server, not crash, since the ticks below
	// can only be delivered by this worker.
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	worker := startProc(t, "worker", "--address", addr, "--sink", rec.URL, "--metrics-addr", ops)
	waitHTTP(t, "http://"+ops+"/healthz", http.StatusOK)
	waitHTTP(t, "http://"+ops+"/readyz", http.StatusServiceUnavailable) // no server yet
	dev := startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	waitHTTP(t, "http://"+ops+"/readyz", http.StatusOK)
	out := mustStarter(t, addr, "start", "--interval", interval.String())
	if !strings.Contains(out, "started source") {
		t.Fatalf("first start said %q", out)
	}
	if out := mustStarter(t, addr, "start", "--interval", "5s"); !strings.Contains(out, "already running") {
		t.Fatalf("second start said %q, want already running", out)
	}
	rec.waitFor(t, 5, 60*time.Second)
	recordHistory(t, addr, "hello-cron", "source-v5-interval")

	stopProc(t, worker)
	stopProc(t, dev)
	before := len(rec.events())

	dev = startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	worker = startProc(t, "worker", "--address", addr, "--sink", rec.URL)
	rec.waitFor(t, before+3, 60*time.Second)
	stopProc(t, worker)
	stopProc(t, dev)

	checkStream(t, rec.events(), interval)
}

// checkStream: sequences contiguous from 1, ids distinct per sequence, times one interval apart.
func checkStream(t *testing.T, events []cloudevents.Event, interval time.Duration) {
	t.Helper()
	idOf := map[string]string{}
	var first []cloudevents.Event
	for _, e := range events {
		seq := fmt.Sprint(e.Extensions()["sequence"])
		if id, seen := idOf[seq]; seen {
			if id != e.ID() {
				t.Errorf("sequence %s redelivered with id %s, first had %s", seq, e.ID(), id)
			}
			continue
		}
		idOf[seq] = e.ID()
		first = append(first, e)
	}
	ids := map[string]bool{}
	for i, e := range first {
		// The event contract: 19 digits, zero-padded, so that the values order as strings.
		if seq, want := fmt.Sprint(e.Extensions()["sequence"]), fmt.Sprintf("%019d", i+1); seq != want {
			t.Fatalf("first delivery %d has sequence %s, want %s (stream %v)", i, seq, want, seqs(first))
		}
		if ids[e.ID()] {
			t.Errorf("id %s reused", e.ID())
		}
		ids[e.ID()] = true
		if i > 0 && e.Time().Sub(first[i-1].Time()) != interval {
			t.Errorf("tick %d is %v after tick %d, want %v", i+1, e.Time().Sub(first[i-1].Time()), i, interval)
		}
	}
}

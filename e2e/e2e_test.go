// Package e2e runs the real binaries together: devserver on a temp file, worker, starter, and a
// recording sink written here, then restarts everything on the same file.
package e2e

import (
	"bufio"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
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

type received struct {
	id, seq string
	time    time.Time
}

// recorder is the test's own sink.
type recorder struct {
	mu     sync.Mutex
	events []received
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	e, err := cehttp.NewEventFromHTTPRequest(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	seq, _ := e.Extensions()["sequence"].(string)
	r.mu.Lock()
	r.events = append(r.events, received{id: e.ID(), seq: seq, time: e.Time()})
	r.mu.Unlock()
}

func (r *recorder) snapshot() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.events...)
}

// waitFor polls until at least n events arrived.
func (r *recorder) waitFor(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for len(r.snapshot()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d events within %v, want %d", len(r.snapshot()), within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
	port := freePort(t)
	startProc(t, "devserver", "--db-filename", filepath.Join(t.TempDir(), "temporal.db"), "--port", fmt.Sprint(port))
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// waitHTTP polls url until it answers status.
func waitHTTP(t *testing.T, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: not %d within 60 s (last: %v %v)", url, status, resp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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

func starter(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "starter"), append(args, "--address", addr)...).CombinedOutput()
	if err != nil {
		t.Fatalf("starter %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestSourceEndToEndAcrossRestart(t *testing.T) {
	rec := &recorder{}
	sinkSrv := httptest.NewServer(rec)
	defer sinkSrv.Close()
	db := filepath.Join(t.TempDir(), "data", "temporal.db")
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	const interval = time.Second

	// The worker starts first: it must wait for the server, not crash, since the ticks below
	// can only be delivered by this worker.
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	worker := startProc(t, "worker", "--address", addr, "--sink", sinkSrv.URL, "--metrics-addr", ops)
	waitHTTP(t, "http://"+ops+"/healthz", http.StatusOK)
	waitHTTP(t, "http://"+ops+"/readyz", http.StatusServiceUnavailable) // no server yet
	dev := startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	waitHTTP(t, "http://"+ops+"/readyz", http.StatusOK)
	out := starter(t, addr, "start", "--interval", interval.String())
	if !strings.Contains(out, "started source") {
		t.Fatalf("first start said %q", out)
	}
	if out := starter(t, addr, "start", "--interval", "5s"); !strings.Contains(out, "already running") {
		t.Fatalf("second start said %q, want already running", out)
	}
	rec.waitFor(t, 5, 60*time.Second)
	recordHistory(t, addr, "hello-cron", "source-v5-interval")

	stopProc(t, worker)
	stopProc(t, dev)
	before := len(rec.snapshot())

	dev = startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	worker = startProc(t, "worker", "--address", addr, "--sink", sinkSrv.URL)
	rec.waitFor(t, before+3, 60*time.Second)
	stopProc(t, worker)
	stopProc(t, dev)

	checkStream(t, rec.snapshot(), interval)
}

// checkStream: sequences contiguous from 1, ids distinct per sequence, times one interval apart.
func checkStream(t *testing.T, events []received, interval time.Duration) {
	t.Helper()
	idOf := map[string]string{}
	var first []received
	for _, e := range events {
		if id, seen := idOf[e.seq]; seen {
			if id != e.id {
				t.Errorf("sequence %s redelivered with id %s, first had %s", e.seq, e.id, id)
			}
			continue
		}
		idOf[e.seq] = e.id
		first = append(first, e)
	}
	ids := map[string]bool{}
	for i, e := range first {
		// The event contract: 19 digits, zero-padded, so that the values order as strings.
		if want := fmt.Sprintf("%019d", i+1); e.seq != want {
			t.Fatalf("first delivery %d has sequence %s, want %s (stream %v)", i, e.seq, want, first)
		}
		if ids[e.id] {
			t.Errorf("id %s reused", e.id)
		}
		ids[e.id] = true
		if i > 0 && e.time.Sub(first[i-1].time) != interval {
			t.Errorf("tick %d is %v after tick %d, want %v", i+1, e.time.Sub(first[i-1].time), i, interval)
		}
	}
}

func TestBadInputExitsWithOneLine(t *testing.T) {
	tests := []struct {
		bin  string
		args []string
		env  []string
		want string
	}{
		{"devserver", []string{"--port", "0"}, nil, "--port"},
		{"devserver", []string{"--ip", "nope"}, nil, "--ip"},
		{"devserver", []string{"--db-filename", "/dev/null/x.db", "--headless"}, nil, "--db-filename"},
		{"devserver", []string{"--ephemeral", "--db-filename", "x.db"}, nil, "--db-filename"},
		{"devserver", []string{"--timer-shift", "0s"}, nil, "--timer-shift"},
		{"devserver", []string{"--ui-port", "0"}, nil, "--ui-port"},
		{"devserver", []string{"--ui-port", "70000"}, nil, "--ui-port"},
		{"devserver", []string{"--port", "7233", "--ui-port", "7233"}, nil, "--ui-port"},
		{"devserver", []string{"--port", "65000"}, nil, "--ui-port"}, // default --port + 1000
		{"devserver", []string{"--headless", "--ui-port", "9000"}, nil, "--ui-port"},
		{"devserver", []string{"--port", fmt.Sprint(freePort(t)), "--ui-port", fmt.Sprint(busyPort(t))}, nil, "--ui-port"},
		{"worker", []string{"--sink", "events:8080"}, nil, "--sink"},
		{"worker", nil, []string{"K_SINK=ftp://x"}, "K_SINK"},
		{"worker", nil, []string{"K_CE_OVERRIDES={\"extensions\":{\"id\":\"x\"}}"}, "K_CE_OVERRIDES"},
		{"worker", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"worker", []string{"--delivery-timeout", "30s"}, nil, "--delivery-timeout"},
		{"worker", []string{"--delivery-timeout", "0s"}, nil, "--delivery-timeout"},
		{"worker", []string{"--metrics-addr", "nope"}, nil, "--metrics-addr"},
		{"worker", nil, []string{"OTEL_TRACES_EXPORTER=zipkin"}, "OTEL_TRACES_EXPORTER"},
		{"worker", nil, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"worker", nil, []string{"OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"worker", []string{"--tls-cert", "client.pem"}, nil, "--tls-cert"},
		{"worker", nil, []string{"TEMPORAL_TLS_CA=/nonexistent/ca.pem"}, "TEMPORAL_TLS_CA"},
		{"worker", []string{"--tls-ca", "/nonexistent/ca.pem"}, []string{"TEMPORAL_TLS_CA=/dev/null"}, "--tls-ca"},
		{"worker", nil, []string{"TEMPORAL_TLS_CERT=/nonexistent/client.pem", "TEMPORAL_TLS_KEY=/nonexistent/client.key"}, "TEMPORAL_TLS_CERT"},
		{"worker", nil, []string{"TEMPORAL_API_KEY=sekret\nkey"}, "TEMPORAL_API_KEY"},
		{"starter", []string{"start", "--interval", "50ms"}, nil, "--interval"},
		{"starter", []string{"start", "--sink", "nope"}, nil, "--sink"},
		{"starter", []string{"start", "--interval", "soon"}, nil, "--interval"},
		{"starter", []string{"describe", "--output", "xml"}, nil, "--output"},
		{"starter", []string{"start", "--cron", "61 * * * *"}, nil, "--cron"},
		{"starter", []string{"start", "--cron", "@hourly", "--interval", "1m"}, nil, "--cron"},
		{"starter", []string{"start", "--cron", "@hourly", "--timezone", "Mars/Olympus"}, nil, "--timezone"},
		{"starter", []string{"start", "--timezone", "Europe/Paris"}, nil, "--timezone"},
		{"starter", []string{"start", "--interval", "10s", "--jitter", "10s"}, nil, "--jitter"},
		{"starter", []string{"start", "--catchup", "some"}, nil, "--catchup"},
		{"starter", []string{"start", "--catchup-window", "-1s"}, nil, "--catchup-window"},
		{"starter", []string{"start", "--start-at", "tomorrow"}, nil, "--start-at"},
		{"starter", []string{"start", "--start-at", "2030-01-02T00:00:00Z", "--end-at", "2030-01-01T00:00:00Z"}, nil, "--end-at"},
		{"starter", []string{"start", "--max-ticks", "-1"}, nil, "--max-ticks"},
		{"starter", []string{"start", "--dead-letter-sink", "dls:8080"}, nil, "--dead-letter-sink"},
		{"starter", []string{"start", "--data", "{not json"}, nil, "--data"},
		{"starter", []string{"start", "--data", "x", "--data-base64", "eA=="}, nil, "--data-base64"},
		{"starter", []string{"start", "--data-base64", "%%%"}, nil, "--data-base64"},
		{"starter", []string{"start", "--data-content-type", "text/plain"}, nil, "--data-content-type"},
		{"starter", []string{"update", "--interval", "1m", "--cron", "@hourly"}, nil, "--cron"},
		{"starter", []string{"update"}, nil, "nothing to update"},
		{"starter", []string{"list", "--output", "yaml"}, nil, "--output"},
		{"starter", []string{"start", "--tls-cert", "client.pem"}, nil, "--tls-cert"},
		{"starter", []string{"list"}, []string{"TEMPORAL_TLS_KEY=client.key"}, "TEMPORAL_TLS_KEY"},
		{"starter", []string{"list"}, []string{"TEMPORAL_TLS_CA=/nonexistent/ca.pem"}, "TEMPORAL_TLS_CA"},
		{"starter", []string{"describe", "--tls-ca", "/dev/null"}, nil, "--tls-ca"},
		{"starter", []string{"list", "--api-key", "sekret\x01key"}, nil, "--api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.bin+" "+strings.Join(append(tt.args, tt.env...), " "), func(t *testing.T) {
			cmd := exec.Command(filepath.Join(binDir, tt.bin), tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("exit 0, want an error; output %q", out)
			}
			lines := nonEmptyLines(string(out))
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("output %q: want one line naming %s", out, tt.want)
			}
			if strings.Contains(string(out), "sekret") {
				t.Errorf("output %q shows the API key", out)
			}
		})
	}
}

func nonEmptyLines(s string) []string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, sc.Text())
		}
	}
	return lines
}

func TestVersionFlag(t *testing.T) {
	for _, bin := range []string{"devserver", "worker", "starter"} {
		t.Run(bin, func(t *testing.T) {
			out, err := exec.Command(filepath.Join(binDir, bin), "--version").CombinedOutput()
			lines := nonEmptyLines(string(out))
			if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0], bin+" version ") {
				t.Errorf("%s --version: %v %q, want one line %q", bin, err, out, bin+" version ...")
			}
		})
	}
}

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// guardedSink answers 202 to a POST that carries the Authorization it wants, 401 to any other,
// and keeps every request's headers. answer may replace the 202.
type guardedSink struct {
	*httptest.Server
	want   string
	answer func(attempt int, seq string) int
	mu     sync.Mutex
	got    []http.Header
	bySeq  map[string]int
}

func newGuardedSink(t *testing.T, want string, answer func(attempt int, seq string) int) *guardedSink {
	s := &guardedSink{want: want, answer: answer, bySeq: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.Header.Clone())
		seq := r.Header.Get("Ce-Sequence")
		s.bySeq[seq]++
		attempt := s.bySeq[seq]
		s.mu.Unlock()
		switch {
		case r.Header.Get("Authorization") != s.want:
			http.Error(w, "wrong credentials", http.StatusUnauthorized)
		case s.answer != nil:
			w.WriteHeader(s.answer(attempt, seq))
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *guardedSink) headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.got...)
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// TestNoSecretLeavesItsPlace runs sources whose sinks need a password in the worker's sink URL,
// a credential the worker holds, the OIDC token, and a token credential for the dead-letter sink,
// with retries, a rejection and a sink outside --allowed-sinks. Each sink gets its own secret and
// no other; no secret is in any source's Temporal history (every event, read through the SDK),
// in describe, or in the worker's log.
func TestNoSecretLeavesItsPlace(t *testing.T) {
	const (
		homePassword = "pw-home-s3cret"
		sinkPassword = "pw-sink-s3cret"
		dlsToken     = "dls-token-s3cret"
		oidcToken    = "oidc-token-s3cret"
	)
	firstFails := func(attempt int, seq string) int {
		if attempt == 1 && strings.HasSuffix(seq, "1") {
			return http.StatusServiceUnavailable
		}
		return http.StatusAccepted
	}
	home := newGuardedSink(t, basic("home", homePassword), firstFails)
	withCred := newGuardedSink(t, basic("cron", sinkPassword), func(attempt int, seq string) int {
		if strings.HasSuffix(seq, "2") {
			return http.StatusBadRequest // rejected for good: to the dead-letter sink
		}
		return firstFails(attempt, seq)
	})
	oidc := newGuardedSink(t, "Bearer "+oidcToken, nil)
	dls := newGuardedSink(t, "Bearer "+dlsToken, nil)
	evil := newGuardedSink(t, "nothing", nil)

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, oidcToken)
	creds := filepath.Join(dir, "credentials")
	writeFile(t, filepath.Join(creds, "sink-auth", "origin"), withCred.URL)
	writeFile(t, filepath.Join(creds, "sink-auth", "username"), "cron")
	writeFile(t, filepath.Join(creds, "sink-auth", "password"), sinkPassword)
	writeFile(t, filepath.Join(creds, "dls-auth", "origin"), dls.URL)
	writeFile(t, filepath.Join(creds, "dls-auth", "token"), dlsToken)

	addr := startDevserver(t)
	homeURL := strings.Replace(home.URL, "http://", "http://home:"+homePassword+"@", 1)
	allowed := strings.Join([]string{withCred.URL, oidc.URL, dls.URL}, ",")
	worker := startProc(t, "worker", "--address", addr, "--sink", homeURL, "--oidc-token-file", tokenFile,
		"--oidc-token-origins", oidc.URL, "--allowed-sinks", allowed, "--sink-credentials", creds)

	// The starter refuses a password in a URL, and a sink outside the list it is given.
	for _, tt := range []struct {
		env  string
		args []string
		want string
	}{
		{args: []string{"--sink", homeURL}, want: "invalid --sink"},
		{args: []string{"--dead-letter-sink", strings.Replace(dls.URL, "http://", "http://"+dlsToken+"@", 1)}, want: "invalid --dead-letter-sink"},
		{env: "ALLOWED_SINKS=" + allowed, args: []string{"--sink", evil.URL}, want: "is not in the allowed sinks"},
	} {
		cmd := exec.Command(filepath.Join(binDir, "starter"), append([]string{"start", "--workflow-id", "refused", "--address", addr}, tt.args...)...)
		cmd.Env = append(os.Environ(), tt.env)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) || len(nonEmptyLines(string(out))) != 1 ||
			strings.Contains(string(out), homePassword) || strings.Contains(string(out), dlsToken) {
			t.Errorf("start %v: %v\n%s\nwant one line with %q and no secret", tt.args, err, out, tt.want)
		}
	}

	sources := map[string][]string{
		"to-home": {"--max-ticks", "2"},
		"to-credential": {"--max-ticks", "3", "--sink", withCred.URL, "--sink-credential", "sink-auth",
			"--dead-letter-sink", dls.URL, "--dead-letter-sink-credential", "dls-auth"},
		"to-oidc": {"--max-ticks", "2", "--sink", oidc.URL},
		"to-evil": {"--max-ticks", "1", "--sink", evil.URL, "--dead-letter-sink", dls.URL, "--dead-letter-sink-credential", "dls-auth"},
	}
	for id, args := range sources {
		starter(t, addr, append([]string{"start", "--workflow-id", id, "--interval", "200ms"}, args...)...)
	}
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for id := range sources {
		if err := c.GetWorkflow(context.Background(), id, "").Get(context.Background(), nil); err != nil {
			t.Fatalf("source %s: %v", id, err)
		}
	}

	if n := len(evil.headers()); n != 0 {
		t.Errorf("the sink outside --allowed-sinks got %d requests", n)
	}
	d, out := describeJSON(t, addr, "to-evil")
	if d.DeadLettered != 1 || !strings.Contains(out, "is not in the allowed sinks") {
		t.Errorf("describe of the source whose sink is not allowed: %s", out)
	}
	// Each sink got only its own secret; the guard answers 401 to anything else.
	for name, s := range map[string]*guardedSink{"home": home, "credential": withCred, "oidc": oidc, "dead letter": dls} {
		hs := s.headers()
		if len(hs) == 0 {
			t.Errorf("the %s sink got nothing", name)
		}
		for _, h := range hs {
			if got := h.Get("Authorization"); got != s.want {
				t.Errorf("the %s sink got Authorization %q", name, got)
			}
		}
	}
	if n := len(dls.headers()); n != 2 { // tick 2 of to-credential, tick 1 of to-evil
		t.Errorf("the dead-letter sink got %d events, want 2", n)
	}

	secrets := []string{homePassword, sinkPassword, dlsToken, oidcToken,
		basic("home", homePassword), basic("cron", sinkPassword)}
	for id := range sources {
		var events int
		it := c.GetWorkflowHistory(context.Background(), id, "", false, 0)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			events++
			raw, _ := proto.Marshal(e)
			text, _ := protojson.Marshal(e)
			for _, secret := range secrets {
				// Payloads are JSON bytes: protojson shows them in base64, proto.Marshal as they are.
				b64 := base64.StdEncoding.EncodeToString([]byte(secret))
				if strings.Contains(string(raw), secret) || strings.Contains(string(text), secret) || strings.Contains(string(text), b64) {
					t.Errorf("source %s: history event %d (%s) holds a secret: %s", id, e.EventId, e.EventType, text)
				}
			}
		}
		if events < 5 {
			t.Errorf("source %s: only %d history events read", id, events)
		}
		_, out := describeJSON(t, addr, id)
		for _, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("describe %s shows a secret: %s", id, out)
			}
		}
	}
	stopProc(t, worker)
	log, err := os.ReadFile(worker.Stdout.(*os.File).Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		if strings.Contains(string(log), secret) {
			t.Errorf("the worker's log holds a secret %q", secret[:6])
		}
	}
	if !strings.Contains(string(log), "tick delivered") {
		t.Errorf("the worker's log has no delivery: %s", log)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}

// credentialsDir is a worker's --sink-credentials folder with one credential, events-auth: basic
// auth for the origin of sinkURL.
func credentialsDir(t *testing.T, sinkURL, user, password string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "credentials")
	writeFile(t, filepath.Join(dir, "events-auth", "origin"), sinkURL)
	writeFile(t, filepath.Join(dir, "events-auth", "username"), user)
	writeFile(t, filepath.Join(dir, "events-auth", "password"), password)
	return dir
}

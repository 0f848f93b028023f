package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hello-cron/cronsource/internal/cmdtest"
)

// guardedSink is a recorder that answers 202 to a POST that carries the Authorization it
// wants, 401 to any other. then, if set, answers in place of the 202.
func guardedSink(t *testing.T, want string, then func(a arrival) int) *recorder {
	t.Helper()
	s := newRecorder(t)
	s.setAnswer(func(a arrival) answer {
		switch {
		case a.header.Get("Authorization") != want:
			return answer{status: http.StatusUnauthorized, body: "wrong credentials"}
		case then != nil:
			return answer{status: then(a)}
		}
		return answer{status: http.StatusAccepted}
	})
	return s
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
	firstFails := func(a arrival) int {
		if a.attempt == 1 && a.seq%10 == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusAccepted
	}
	wants := map[string]string{"home": basic("home", homePassword), "credential": basic("cron", sinkPassword),
		"oidc": "Bearer " + oidcToken, "dead letter": "Bearer " + dlsToken}
	home := guardedSink(t, wants["home"], firstFails)
	withCred := guardedSink(t, wants["credential"], func(a arrival) int {
		if a.seq%10 == 2 {
			return http.StatusBadRequest // rejected for good: to the dead-letter sink
		}
		return firstFails(a)
	})
	oidc := guardedSink(t, wants["oidc"], nil)
	dls := guardedSink(t, wants["dead letter"], nil)
	evil := guardedSink(t, "nothing", nil)

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, oidcToken)
	creds := filepath.Join(dir, "credentials")
	cmdtest.WriteCredential(t, creds, "sink-auth", map[string]string{"origin": withCred.URL, "username": "cron", "password": sinkPassword})
	cmdtest.WriteCredential(t, creds, "dls-auth", map[string]string{"origin": dls.URL, "token": dlsToken})

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
		var env []string
		if tt.env != "" {
			env = []string{tt.env}
		}
		out, ok := starterEnv(addr, env, append([]string{"start", "--workflow-id", "refused"}, tt.args...)...)
		if ok || !strings.Contains(out, tt.want) || len(nonEmptyLines(out)) != 1 ||
			strings.Contains(out, homePassword) || strings.Contains(out, dlsToken) {
			t.Errorf("start %v: ok=%v\n%s\nwant one line with %q and no secret", tt.args, ok, out, tt.want)
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
		mustStarter(t, addr, append([]string{"start", "--workflow-id", id, "--interval", "200ms"}, args...)...)
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

	if n := len(evil.all()); n != 0 {
		t.Errorf("the sink outside --allowed-sinks got %d requests", n)
	}
	d, out := describeJSON(t, addr, "to-evil")
	if d.DeadLettered != 1 || !strings.Contains(out, "is not in the allowed sinks") {
		t.Errorf("describe of the source whose sink is not allowed: %s", out)
	}
	// Each sink got only its own secret; the guard answers 401 to anything else.
	for name, s := range map[string]*recorder{"home": home, "credential": withCred, "oidc": oidc, "dead letter": dls} {
		as := s.all()
		if len(as) == 0 {
			t.Errorf("the %s sink got nothing", name)
		}
		for _, a := range as {
			if got := a.header.Get("Authorization"); got != wants[name] {
				t.Errorf("the %s sink got Authorization %q", name, got)
			}
		}
	}
	if n := len(dls.all()); n != 2 { // tick 2 of to-credential, tick 1 of to-evil
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
	return cmdtest.WriteCredential(t, filepath.Join(t.TempDir(), "credentials"), "events-auth",
		map[string]string{"origin": sinkURL, "username": user, "password": password})
}

package e2e

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// knativeSink is an https recorder that also keeps the log of the TLS handshakes that clients
// refused.
type knativeSink struct {
	*recorder
	srv       *httptest.Server
	mu        sync.Mutex
	handshake bytes.Buffer // the server's error log: one line per failed handshake
}

func newKnativeSink(t *testing.T) *knativeSink {
	t.Helper()
	s := &knativeSink{recorder: &recorder{}}
	s.srv = httptest.NewUnstartedServer(s.recorder)
	s.srv.Config.ErrorLog = log.New(writerFunc(func(p []byte) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.handshake.Write(p)
	}), "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (s *knativeSink) handshakeErrors() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handshake.String()
}

// caPEM is the sink's certificate as K_CA_CERTS carries it.
func (s *knativeSink) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
}

// TestKnativeSourceContract runs the worker as a Knative ContainerSource would: K_SINK (https),
// K_CE_OVERRIDES, K_CA_CERTS and an OIDC token file that rotates.
func TestKnativeSourceContract(t *testing.T) {
	tests := []struct {
		name    string
		caCerts bool // K_CA_CERTS holds the sink's certificate
	}{
		{name: "K_CA_CERTS trusted", caCerts: true},
		{name: "no K_CA_CERTS, sink not trusted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := newKnativeSink(t)
			dir := t.TempDir()
			token := filepath.Join(dir, "token")
			rotateToken(t, token, "token-one")
			port := freePort(t)
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			env := []string{"K_SINK=" + sink.URL, `K_CE_OVERRIDES={"extensions":{"team":"blue"}}`}
			if tt.caCerts {
				env = append(env, "K_CA_CERTS="+sink.caPEM())
			}
			startProc(t, "devserver", "--db-filename", filepath.Join(dir, "temporal.db"), "--port", fmt.Sprint(port))
			startProcEnv(t, env, "worker", "--address", addr, "--oidc-token-file", token)
			mustStarter(t, addr, "start", "--interval", "1s")

			if !tt.caCerts {
				eventually(t, "the worker refuses the sink's certificate", time.Minute, func() bool {
					return strings.Contains(sink.handshakeErrors(), "TLS handshake error")
				})
				// Temporal retries tick 1 and nothing goes further: once describe shows its
				// third attempt, after two that failed on the certificate, the status says
				// nothing was delivered, and the sink must have got nothing.
				var d report
				eventually(t, "describe shows tick 1 at its third attempt", time.Minute, func() bool {
					d = describe(t, addr, "hello-cron")
					return d.Retry != nil && d.Retry.Attempt >= 3
				})
				if d.Sequence != 0 || d.Delivered != 0 || d.InFlight == nil || d.InFlight.Sequence != 1 ||
					!strings.Contains(d.Retry.LastFailure, "certificate") {
					t.Errorf("describe: sequence %d, %d delivered, in flight %v, last failure %q; want tick 1 "+
						"in flight, none delivered, a certificate error", d.Sequence, d.Delivered, d.InFlight, d.Retry.LastFailure)
				}
				if got := sink.all(); len(got) != 0 {
					t.Fatalf("the untrusted sink got %d events", len(got))
				}
				return
			}

			sink.waitFor(t, 3, time.Minute)
			rotateToken(t, token, "token-two")
			before := sink.all()
			eventually(t, "an event with the new token", 30*time.Second, func() bool {
				got := sink.all()
				return len(got) > 0 && got[len(got)-1].header.Get("Authorization") == "Bearer token-two"
			})
			sink.waitFor(t, len(sink.all())+2, 30*time.Second)

			got := sink.all()
			firstNew := -1 // the first event with the new token
			for i, a := range got {
				if !a.tls {
					t.Errorf("event %d arrived over plain http", i)
				}
				if a.event == nil {
					t.Errorf("request %d is no CloudEvent", i)
					continue
				}
				if team := a.event.Extensions()["team"]; team != "blue" {
					t.Errorf("event %d: extension team = %v, want blue from K_CE_OVERRIDES", i, team)
				}
				switch auth := a.header.Get("Authorization"); {
				case auth == "Bearer token-two" && i >= len(before):
					if firstNew < 0 {
						firstNew = i
					}
				case auth == "Bearer token-one" && firstNew < 0:
				default:
					t.Errorf("event %d of %d (token rotated after %d): Authorization %q", i, len(got), len(before), auth)
				}
			}
			checkContiguous(t, sink.events())
		})
	}
}

// rotateToken replaces the token file atomically, as Kubernetes updates a projected volume.
func rotateToken(t *testing.T, path, token string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

package e2e

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// delivery is one event as a Knative sink sees it.
type delivery struct {
	event         cloudevents.Event
	authorization string
	tls           bool
}

// knativeSink is an https sink that keeps every event with its Authorization header, and counts
// the TLS handshakes that clients refused.
type knativeSink struct {
	*httptest.Server
	mu         sync.Mutex
	deliveries []delivery
	handshake  bytes.Buffer // the server's error log: one line per failed handshake
}

func newKnativeSink(t *testing.T) *knativeSink {
	t.Helper()
	s := &knativeSink{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		e, err := cehttp.NewEventFromHTTPRequest(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.deliveries = append(s.deliveries, delivery{*e, req.Header.Get("Authorization"), req.TLS != nil})
		s.mu.Unlock()
	}))
	s.Config.ErrorLog = log.New(writerFunc(func(p []byte) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.handshake.Write(p)
	}), "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (s *knativeSink) snapshot() (deliveries []delivery, handshakeErrors string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.deliveries...), s.handshake.String()
}

// caPEM is the sink's certificate as K_CA_CERTS carries it.
func (s *knativeSink) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
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
			starter(t, addr, "start", "--interval", "1s")

			if !tt.caCerts {
				waitUntil(t, "the worker refuses the sink's certificate", time.Minute, func() bool {
					_, handshake := sink.snapshot()
					return strings.Contains(handshake, "TLS handshake error")
				})
				time.Sleep(3 * time.Second) // a few more ticks come due and are retried
				if got, _ := sink.snapshot(); len(got) != 0 {
					t.Fatalf("the untrusted sink got %d events", len(got))
				}
				return
			}

			waitUntil(t, "3 events", time.Minute, func() bool { got, _ := sink.snapshot(); return len(got) >= 3 })
			rotateToken(t, token, "token-two")
			before, _ := sink.snapshot()
			waitUntil(t, "an event with the new token", 30*time.Second, func() bool {
				got, _ := sink.snapshot()
				return len(got) > 0 && got[len(got)-1].authorization == "Bearer token-two"
			})
			after, _ := sink.snapshot()
			waitUntil(t, "2 more events", 30*time.Second, func() bool { got, _ := sink.snapshot(); return len(got) >= len(after)+2 })

			got, _ := sink.snapshot()
			var events []cloudevents.Event
			firstNew := -1 // the first event with the new token
			for i, d := range got {
				events = append(events, d.event)
				if !d.tls {
					t.Errorf("event %d arrived over plain http", i)
				}
				if team := d.event.Extensions()["team"]; team != "blue" {
					t.Errorf("event %d: extension team = %v, want blue from K_CE_OVERRIDES", i, team)
				}
				switch {
				case d.authorization == "Bearer token-two" && i >= len(before):
					if firstNew < 0 {
						firstNew = i
					}
				case d.authorization == "Bearer token-one" && firstNew < 0:
				default:
					t.Errorf("event %d of %d (token rotated after %d): Authorization %q", i, len(got), len(before), d.authorization)
				}
			}
			checkContiguous(t, events)
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

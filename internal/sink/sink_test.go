package sink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "extensions", in: `{"extensions":{"team":"platform","env":"prod"}}`, want: map[string]string{"team": "platform", "env": "prod"}},
		{name: "no extensions", in: `{}`, want: nil},
		{name: "not json", in: `team=platform`, wantErr: "must be JSON"},
		{name: "unknown field", in: `{"extension":{"a":"b"}}`, wantErr: "must be JSON"},
		{name: "bad name", in: `{"extensions":{"Team":"x"}}`, wantErr: `extension "Team"`},
		{name: "replaces id", in: `{"extensions":{"id":"x"}}`, wantErr: `"id" would replace`},
		{name: "replaces type", in: `{"extensions":{"type":"x"}}`, wantErr: `"type" would replace`},
		{name: "replaces sequence", in: `{"extensions":{"sequence":"7"}}`, wantErr: `"sequence" would replace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOverrides(tt.in)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCACertPool(t *testing.T) {
	if pool, err := CACertPool(""); pool != nil || err != nil {
		t.Errorf("empty: pool %v, err %v; want nil, nil", pool, err)
	}
	if _, err := CACertPool("not a certificate"); err == nil {
		t.Error("garbage: want an error")
	}
	pool, err := CACertPool(selfSignedPEM(t))
	if err != nil || pool == nil {
		t.Fatalf("pem: pool %v, err %v", pool, err)
	}
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test-ca"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("err = %v, want one containing %q", err, want)
	}
}

// TestHTTPClientKeepsAHerdsConnections posts a herd of ticks to one sink, all in flight at once
// (the sink answers none until every one has come), then a second herd, and counts the
// connections the sink accepted. The first herd dials one for each tick; the second must reuse
// them all: the client keeps a herd's connections, where one that kept 32 dialled 468 again. The
// herds are the size of a group's batch.
func TestHTTPClientKeepsAHerdsConnections(t *testing.T) {
	const herd = 500
	var dialled atomic.Int32
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := NewHTTPClient(nil, 10*time.Second, Policy{})
	defer client.CloseIdleConnections()
	for round, want := range []int32{herd, 0} {
		dialled.Store(0)
		arrived.Add(herd)
		var done sync.WaitGroup
		errs := make(chan error, herd)
		for range herd {
			done.Go(func() {
				resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("tick"))
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
			})
		}
		done.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("herd %d: %v", round+1, err)
		}
		if got := dialled.Load(); got != want {
			t.Errorf("herd %d: the sink accepted %d connections, want %d", round+1, got, want)
		}
	}
}

// TestHTTPClientResendsOnlyOnce keeps 50 connections to a sink open, then has the sink close
// every kept-alive connection on which a request comes, after reading it. A POST must reach the
// sink at most twice, however many kept connections are left to try (net/http, for a request
// marked idempotent, tries them all: 51 times here).
func TestHTTPClientResendsOnlyOnce(t *testing.T) {
	const kept = 50
	type requestsOnConn struct{}
	var hostile atomic.Bool
	var posts atomic.Int32
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		onConn := r.Context().Value(requestsOnConn{}).(*atomic.Int32).Add(1)
		if !hostile.Load() {
			arrived.Done()
			arrived.Wait()
			return
		}
		posts.Add(1)
		if onConn > 1 {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}
	}))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, requestsOnConn{}, new(atomic.Int32))
	}
	srv.Start()
	defer srv.Close()
	client := NewHTTPClient(nil, 10*time.Second, Policy{})
	defer client.CloseIdleConnections()
	arrived.Add(kept)
	var done sync.WaitGroup
	for range kept {
		done.Go(func() {
			if resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("tick")); err == nil {
				resp.Body.Close()
			}
		})
	}
	done.Wait()
	hostile.Store(true)
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("tick"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
	}
	if got := posts.Load(); got < 1 || got > 2 {
		t.Errorf("the sink got the POST %d times, want at most 2", got)
	}
}

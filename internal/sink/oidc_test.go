package sink

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// authSink records the Authorization header of each request it gets.
type authSink struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newAuthSink(t *testing.T, handler func(w http.ResponseWriter, r *http.Request) bool) *authSink {
	t.Helper()
	s := &authSink{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		s.mu.Unlock()
		if handler == nil || !handler(w, r) {
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *authSink) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

func TestOIDCToken(t *testing.T) {
	const token = "eyJhbGciOi.secret.token"
	tests := []struct {
		name     string
		setup    func(t *testing.T, path string) // writes (or not) the token file
		off      bool                            // tokenFile ""
		want     string                          // the Authorization header the sink gets
		wantErr  string                          // the request fails with this instead
		redirect string                          // "same" or "other": the sink first redirects to that host
	}{
		{name: "no file, no header", setup: func(*testing.T, string) {}},
		{name: "token, trimmed", setup: writeToken(token + "\n"), want: "Bearer " + token},
		{name: "off", setup: writeToken(token), off: true},
		{name: "empty file fails", setup: writeToken(" \n"), wantErr: "read OIDC token: "},
		{name: "unreadable file fails", setup: func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil { // exists, but reading it fails
				t.Fatal(err)
			}
		}, wantErr: "read OIDC token: read "},
		{name: "permission denied fails", setup: func(t *testing.T, path string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			writeToken(token)(t, path)
			if err := os.Chmod(path, 0); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "read OIDC token: open "},
		{name: "redirect on the same host keeps the token", setup: writeToken(token), redirect: "same",
			want: "Bearer " + token},
		{name: "redirect to another host drops the token", setup: writeToken(token), redirect: "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token")
			tt.setup(t, path)
			if tt.off {
				path = ""
			}
			final := newAuthSink(t, nil)
			first := final
			if tt.redirect != "" {
				target := final.URL + "/in" // another host: another port
				first = newAuthSink(t, func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path == "/in" {
						return false
					}
					http.Redirect(w, r, target, http.StatusTemporaryRedirect)
					return true
				})
				if tt.redirect == "same" {
					target, final = first.URL+"/in", first
				}
			}
			roots := x509.NewCertPool()
			roots.AddCert(first.Certificate())
			roots.AddCert(final.Certificate())
			c := NewHTTPClient(roots, 5*time.Second, Policy{Home: first.URL, TokenFile: path})
			resp, err := c.Post(first.URL, "application/json", strings.NewReader(`{}`))
			if tt.wantErr != "" {
				if err == nil {
					resp.Body.Close()
					t.Fatal("delivered, want an error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), token) {
					t.Fatalf("err = %v, want one containing %q and not the token", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status %d", resp.StatusCode)
			}
			seen := final.seen()
			if got := seen[len(seen)-1]; got != tt.want {
				t.Errorf("Authorization %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOIDCTokenIsReadAtEachRequest: a rotated token is sent from the next request on.
func TestOIDCTokenIsReadAtEachRequest(t *testing.T) {
	s := newAuthSink(t, nil)
	path := filepath.Join(t.TempDir(), "token")
	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	c := NewHTTPClient(roots, 5*time.Second, Policy{Home: s.URL, TokenFile: path})
	for _, tok := range []string{"", "first", "second", ""} {
		if tok == "" {
			_ = os.Remove(path)
		} else {
			writeToken(tok)(t, path)
		}
		req, err := http.NewRequest(http.MethodPost, s.URL, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get("Authorization") != "" {
			t.Error("the caller's request was changed")
		}
	}
	want := []string{"", "Bearer first", "Bearer second", ""}
	if got := s.seen(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}
}

func writeToken(token string) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOIDCTokenFollowsTheFirstOrigin: a redirect hop gets the token only on the origin (scheme,
// host and port) of the first request.
func TestOIDCTokenFollowsTheFirstOrigin(t *testing.T) {
	tests := []struct {
		name string
		hops []string // the first request, then each redirect's URL
		want bool
	}{
		{name: "first request", hops: []string{"https://sink.example.com/in"}, want: true},
		{name: "same origin", hops: []string{"https://sink.example.com/", "https://sink.example.com/in"}, want: true},
		{name: "explicit default port", hops: []string{"https://sink.example.com/", "https://sink.example.com:443/in"}, want: true},
		{name: "host in another case", hops: []string{"https://Sink.example.com/", "https://sink.example.com/in"}, want: true},
		{name: "back on the first origin", hops: []string{"https://sink:8443/", "https://other:8443/", "https://sink:8443/in"}, want: true},
		{name: "another port", hops: []string{"https://sink:8443/", "https://sink:8444/in"}},
		{name: "another scheme, same host and port", hops: []string{"https://sink:8443/", "http://sink:8443/in"}},
		{name: "another host", hops: []string{"https://sink.example.com/", "https://evil.example.com/in"}},
		{name: "a subdomain", hops: []string{"https://example.com/", "https://sink.example.com/in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req *http.Request
			for _, hop := range tt.hops {
				next := httptest.NewRequest(http.MethodPost, hop, nil)
				if req != nil {
					next.Response = &http.Response{StatusCode: http.StatusTemporaryRedirect, Request: req}
				}
				req = next
			}
			policy := Policy{Home: tt.hops[0], TokenFile: "/oidc/token", TokenOrigins: sinkref.Origins{"https://other:8443"}}
			if got := (oidcTransport{policy: policy}).tokenFor(req); got != tt.want {
				t.Errorf("tokenFor = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestOIDCTokenGoesOnlyToItsAudience: the token is for the worker's own sink, and for the origins
// allowed explicitly, over https or to this machine; a sink with credentials of its own gets those.
func TestOIDCTokenGoesOnlyToItsAudience(t *testing.T) {
	explicit := sinkref.Origins{"https://other.example.com:443", "http://plain.example.com:80"}
	tests := []struct {
		name, home, url, header string
		noFile                  bool
		want                    bool
	}{
		{name: "the worker's sink", home: "https://broker.example.com/ns/default", url: "https://broker.example.com/in", want: true},
		{name: "an origin allowed explicitly", home: "https://broker.example.com", url: "https://other.example.com/x", want: true},
		{name: "a source's own sink elsewhere", home: "https://broker.example.com", url: "https://evil.example.com/in"},
		{name: "no worker sink", url: "https://evil.example.com/in"},
		{name: "the worker's sink over http", home: "http://broker.example.com", url: "http://broker.example.com/in"},
		{name: "an explicit origin over http", home: "https://broker.example.com", url: "http://plain.example.com/in"},
		{name: "loopback over http", home: "http://127.0.0.1:8080", url: "http://127.0.0.1:8080/in", want: true},
		{name: "localhost over http", home: "http://localhost:8080", url: "http://localhost:8080/in", want: true},
		{name: "IPv6 loopback over http", home: "http://[::1]:8080", url: "http://[::1]:8080/in", want: true},
		{name: "a user in the URL wins", home: "https://broker.example.com", url: "https://u:p@broker.example.com/in"},
		{name: "an Authorization header wins", home: "https://broker.example.com", url: "https://broker.example.com/in", header: "Basic eDp5"},
		{name: "no token file", home: "https://broker.example.com", url: "https://broker.example.com/in", noFile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Home: tt.home, TokenFile: "/oidc/token", TokenOrigins: explicit}
			if tt.noFile {
				p.TokenFile = ""
			}
			req := httptest.NewRequest(http.MethodPost, tt.url, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			if got := p.tokenAllowed(req); got != tt.want {
				t.Errorf("tokenAllowed = %v, want %v", got, tt.want)
			}
		})
	}
}

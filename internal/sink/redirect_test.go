package sink

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// hop is a redirect that a test server answers on one path.
type hop struct {
	status   int
	location string
}

// seenRequest is a request that a test server got.
type seenRequest struct {
	server, method, path string
	header               http.Header
	body                 []byte
}

// redirectServers are two test servers of different origins, "first" (where the tick is posted)
// and "other", that answer the hops set on their paths with redirects, anything else with 202,
// and record every request.
type redirectServers struct {
	first, other *httptest.Server
	mu           sync.Mutex
	hops         map[string]hop // "first /path" or "other /path"
	seen         []seenRequest
}

func newRedirectServers(t *testing.T, firstTLS bool) *redirectServers {
	t.Helper()
	s := &redirectServers{}
	handler := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("%s: read body: %v", name, err)
			}
			s.mu.Lock()
			s.seen = append(s.seen, seenRequest{server: name, method: r.Method, path: r.URL.Path,
				header: r.Header.Clone(), body: body})
			h, ok := s.hops[name+" "+r.URL.Path]
			s.mu.Unlock()
			if !ok {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			w.Header().Set("Location", h.location)
			w.WriteHeader(h.status)
		})
	}
	if firstTLS {
		s.first = httptest.NewTLSServer(handler("first"))
	} else {
		s.first = httptest.NewServer(handler("first"))
	}
	s.other = httptest.NewServer(handler("other"))
	t.Cleanup(s.first.Close)
	t.Cleanup(s.other.Close)
	return s
}

func (s *redirectServers) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// withUser returns rawURL with user:password in it.
func withUser(rawURL, user, password string) string {
	u, _ := url.Parse(rawURL)
	u.User = url.UserPassword(user, password)
	return u.String()
}

func TestRedirects(t *testing.T) {
	const (
		password = "s3cret"
		token    = "eyJhbGciOi.oidc.token"
	)
	basicAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("cron:"+password))
	tests := []struct {
		name      string
		firstTLS  bool   // the sink is an https server; the other server is always http
		user      bool   // the sink URL carries cron:s3cret
		header    string // an Authorization header on the POST
		token     bool   // an OIDC token file exists
		onlyFirst bool   // the policy allows the first server's origin only
		hops      func(first, other string) map[string]hop
		wantAt    string // the server that gets the POST at /in; "" for none
		wantAuth  string // its Authorization header there
		wantErr   string // or the reason the redirect was not followed
		wantCode  int    // and that redirect's status
		wantMask  bool   // the error shows the Location's password masked
		wantHops  int    // requests made in all
		wantNoPwd string // a secret that must not appear in the error
	}{
		{name: "301 is not followed", user: true, hops: func(first, other string) map[string]hop {
			return map[string]hop{"first /": {301, withUser(other+"/in", "dest", "hunter2")}}
		}, wantErr: "only a 307 or 308 keeps the POST", wantCode: 301, wantMask: true, wantHops: 1},
		{name: "302 is not followed", user: true, hops: func(first, other string) map[string]hop {
			return map[string]hop{"first /": {302, withUser(other+"/in", "dest", "hunter2")}}
		}, wantErr: "only a 307 or 308 keeps the POST", wantCode: 302, wantMask: true, wantHops: 1},
		{name: "303 is not followed", user: true, hops: func(first, other string) map[string]hop {
			return map[string]hop{"first /": {303, withUser(first+"/in", "dest", "hunter2")}}
		}, wantErr: "only a 307 or 308 keeps the POST", wantCode: 303, wantMask: true, wantHops: 1},
		{name: "a relative 302 shows no user of the sink", user: true, hops: func(string, string) map[string]hop {
			return map[string]hop{"first /": {302, "/in"}}
		}, wantErr: "only a 307 or 308 keeps the POST", wantCode: 302, wantHops: 1, wantNoPwd: "cron"},
		{name: "307 to the same origin keeps the basic auth", user: true, hops: func(first, _ string) map[string]hop {
			return map[string]hop{"first /": {307, first + "/in"}}
		}, wantAt: "first", wantAuth: basicAuth, wantHops: 2},
		{name: "308 to the same origin keeps the basic auth", user: true, hops: func(first, _ string) map[string]hop {
			return map[string]hop{"first /": {308, first + "/in"}}
		}, wantAt: "first", wantAuth: basicAuth, wantHops: 2},
		{name: "relative 307 keeps the basic auth", user: true, hops: func(string, string) map[string]hop {
			return map[string]hop{"first /": {307, "/in"}}
		}, wantAt: "first", wantAuth: basicAuth, wantHops: 2},
		{name: "https 308 to the same origin keeps the basic auth", firstTLS: true, user: true,
			hops:   func(first, _ string) map[string]hop { return map[string]hop{"first /": {308, first + "/in"}} },
			wantAt: "first", wantAuth: basicAuth, wantHops: 2},
		{name: "307 to the same origin keeps the OIDC token", token: true, hops: func(first, _ string) map[string]hop {
			return map[string]hop{"first /": {307, first + "/in"}}
		}, wantAt: "first", wantAuth: "Bearer " + token, wantHops: 2},
		{name: "307 to another origin drops the basic auth", user: true, hops: func(_, other string) map[string]hop {
			return map[string]hop{"first /": {307, other + "/in"}}
		}, wantAt: "other", wantHops: 2},
		{name: "308 to another origin drops the Authorization header", header: "Bearer static-secret",
			hops:   func(_, other string) map[string]hop { return map[string]hop{"first /": {308, other + "/in"}} },
			wantAt: "other", wantHops: 2},
		{name: "307 to another origin drops the OIDC token", token: true, hops: func(_, other string) map[string]hop {
			return map[string]hop{"first /": {307, other + "/in"}}
		}, wantAt: "other", wantHops: 2},
		{name: "308 to another origin drops a user in the Location", hops: func(_, other string) map[string]hop {
			return map[string]hop{"first /": {308, withUser(other+"/in", "dest", "hunter2")}}
		}, wantAt: "other", wantHops: 2},
		{name: "three 307s are followed", user: true, hops: func(first, other string) map[string]hop {
			return map[string]hop{"first /": {307, first + "/a"}, "first /a": {307, other + "/b"},
				"other /b": {308, first + "/in"}}
		}, wantAt: "first", wantAuth: basicAuth, wantHops: 4},
		{name: "a fourth 307 is not", hops: func(first, _ string) map[string]hop {
			return map[string]hop{"first /": {307, first + "/a"}, "first /a": {307, first + "/b"},
				"first /b": {307, first + "/c"}, "first /c": {307, first + "/in"}}
		}, wantErr: "more than 3 redirects", wantCode: 307, wantHops: 4},
		{name: "https to http is refused", firstTLS: true, user: true, hops: func(_, other string) map[string]hop {
			return map[string]hop{"first /": {307, other + "/in"}}
		}, wantErr: "from https to http", wantCode: 307, wantHops: 1, wantNoPwd: password},
		{name: "307 to an origin outside the allowed sinks is not followed", onlyFirst: true, hops: func(_, other string) map[string]hop {
			return map[string]hop{"first /": {307, other + "/in"}}
		}, wantErr: "is not in the allowed sinks", wantCode: 307, wantHops: 1},
		{name: "307 within the allowed sinks is followed", onlyFirst: true, hops: func(first, _ string) map[string]hop {
			return map[string]hop{"first /": {307, first + "/in"}}
		}, wantAt: "first", wantHops: 2},
		{name: "a loop onto itself", user: true, hops: func(first, _ string) map[string]hop {
			return map[string]hop{"first /": {307, first + "/"}}
		}, wantErr: "redirect loop", wantCode: 307, wantHops: 1, wantNoPwd: password},
		{name: "a loop through another origin", hops: func(first, other string) map[string]hop {
			return map[string]hop{"first /": {307, other + "/back"}, "other /back": {308, first + "/"}}
		}, wantErr: "redirect loop", wantCode: 308, wantHops: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRedirectServers(t, tt.firstTLS)
			s.hops = tt.hops(s.first.URL, s.other.URL)
			tokenFile := ""
			if tt.token {
				tokenFile = filepath.Join(t.TempDir(), "token")
				if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			roots := x509.NewCertPool()
			if tt.firstTLS {
				roots.AddCert(s.first.Certificate())
			}
			sinkURL := s.first.URL + "/"
			if tt.user {
				sinkURL = withUser(sinkURL, "cron", password)
			}
			body := []byte(`{"Id":"hello-cron","JobId":"3"}`)
			req, err := http.NewRequest(http.MethodPost, sinkURL, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			ce := map[string]string{"Ce-Id": "run-1-3", "Ce-Sequence": "0000000000000000003", "Ce-Specversion": "1.0",
				"Ce-Source": "urn:hello-com:cron-source", "Ce-Type": "com.hello.cron-event", "Content-Type": "application/json"}
			for k, v := range ce {
				req.Header.Set(k, v)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}

			policy := Policy{Home: s.first.URL, TokenFile: tokenFile}
			if tt.onlyFirst {
				policy = Policy{Allowed: sinkref.Origins{sinkref.OriginOf(s.first.URL)}}
			}
			resp, err := NewHTTPClient(roots, 5*time.Second, policy).Do(req)
			if err == nil {
				resp.Body.Close()
			}
			seen := s.requests()
			if len(seen) != tt.wantHops {
				t.Errorf("%d requests made, want %d: %+v", len(seen), tt.wantHops, seen)
			}
			for _, r := range seen {
				if r.path == "/in" && tt.wantAt == "" {
					t.Errorf("%s got a %s at /in, want no delivery", r.server, r.method)
				}
			}
			if tt.wantErr != "" {
				var re *RedirectError
				if !errors.As(err, &re) || re.StatusCode != tt.wantCode || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a RedirectError for a %d: %q", err, tt.wantCode, tt.wantErr)
				}
				if msg := re.Error(); strings.Contains(msg, "hunter2") || (tt.wantNoPwd != "" && strings.Contains(msg, tt.wantNoPwd)) ||
					(tt.wantMask && !strings.Contains(msg, "dest:xxxxx@")) {
					t.Errorf("redirect error %q: want the Location with its password masked", msg)
				}
				if strings.ContainsAny(re.Error(), "\n\r") {
					t.Errorf("redirect error %q is not one line", re.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want the redirect followed", err)
			}
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status %d, want the 202 of the redirect's target", resp.StatusCode)
			}
			last := seen[len(seen)-1]
			if last.server != tt.wantAt || last.path != "/in" || last.method != http.MethodPost || !bytes.Equal(last.body, body) {
				t.Fatalf("last request: %s %s %s with %q; want the POST with its body at %s /in",
					last.server, last.method, last.path, last.body, tt.wantAt)
			}
			for k, v := range ce {
				if got := last.header.Get(k); got != v {
					t.Errorf("header %s = %q at the target, want %q", k, got, v)
				}
			}
			if got := last.header.Get("Referer"); got != "" {
				t.Errorf("Referer %q at the target, want none, as on the first request", got)
			}
			if got := last.header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization %q at the target, want %q", got, tt.wantAuth)
			}
		})
	}
}

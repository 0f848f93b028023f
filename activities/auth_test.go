package activities

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/cmdtest"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// TestAllowedSinks: a sink outside --allowed-sinks is rejected for good before any request,
// for Deliver and DeadLetter alike; the worker's own sink is allowed even when not listed.
func TestAllowedSinks(t *testing.T) {
	const elsewhere = "https://broker.example.com"
	tests := []struct {
		name       string
		allowed    string // the worker's --allowed-sinks; "sink" is the test sink's origin
		own        bool   // the tick goes to the worker's sink, the test sink
		deadLetter bool
		wantReject bool
	}{
		{name: "no list allows any", allowed: ""},
		{name: "listed", allowed: elsewhere + ",sink"},
		{name: "not listed", allowed: elsewhere, wantReject: true},
		{name: "the worker's sink, not listed", allowed: elsewhere, own: true},
		{name: "dead-letter sink listed", allowed: "sink", deadLetter: true},
		{name: "dead-letter sink not listed", allowed: elsewhere, deadLetter: true, wantReject: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSink(t, 202, "")
			allowed, err := sinkref.ParseOrigins(strings.ReplaceAll(tt.allowed, "sink", s.URL))
			if err != nil {
				t.Fatal(err)
			}
			home := "http://127.0.0.1:1" // nothing listens there
			tk := tick()
			if tt.own {
				home = s.URL
			} else {
				tk.Sink = s.URL + "/in"
			}
			a := New(s.Client(), home, nil, WithSinks(allowed, sink.Credentials{}))
			var receipt contract.Receipt
			if tt.deadLetter {
				receipt, err = deadLetter(t, a, contract.DeadLetterRequest{Tick: tk, Sink: s.URL + "/dls",
					Rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400}})
			} else {
				receipt, err = deliver(t, a, tk)
			}
			n, _, _ := s.last()
			if !tt.wantReject {
				if err != nil || n != 1 || receipt.StatusCode != 202 {
					t.Fatalf("receipt %+v, err %v, %d requests; want delivered once", receipt, err, n)
				}
				return
			}
			if n != 0 {
				t.Errorf("the sink got %d requests, want none", n)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != contract.ErrRejected || !appErr.NonRetryable() {
				t.Fatalf("err = %v, want a non-retryable %s", err, contract.ErrRejected)
			}
			r, ok := contract.RejectionOf(err)
			if !ok || !strings.Contains(r.Reason, "not in the allowed sinks") || !strings.Contains(r.Reason, "--allowed-sinks") ||
				!strings.HasPrefix(r.Sink, s.URL) || r.StatusCode != 0 || r.Attempt != 1 {
				t.Errorf("rejection %+v, %v; want the sink, attempt 1 and a reason naming --allowed-sinks", r, ok)
			}
		})
	}
}

// TestSinkCredentials: a tick's SinkCredential, or a dead letter's Credential, goes to its sink
// as Authorization. A credential the worker does not have is retried, one for another origin is
// rejected for good, and neither sends a request. No secret is in an error.
func TestSinkCredentials(t *testing.T) {
	const (
		password = "pa55-s3cret"
		token    = "tok-s3cret"
	)
	tests := []struct {
		name       string
		credential string // named by the tick, or by the dead letter
		deadLetter bool
		noFolder   bool   // the worker has no --sink-credentials
		want       string // the Authorization the sink gets, or the error type
	}{
		{name: "basic", credential: "basic", want: "Basic dXNlcjpwYTU1LXMzY3JldA=="},
		{name: "token", credential: "token", want: "Bearer " + token},
		{name: "dead letter, basic", credential: "basic", deadLetter: true, want: "Basic dXNlcjpwYTU1LXMzY3JldA=="},
		{name: "dead letter, token", credential: "token", deadLetter: true, want: "Bearer " + token},
		{name: "none", want: ""},
		{name: "dead letter, none", deadLetter: true, want: ""},
		{name: "missing", credential: "missing", want: contract.ErrCredential},
		{name: "malformed", credential: "malformed", want: contract.ErrCredential},
		{name: "no credentials folder", credential: "token", noFolder: true, want: contract.ErrCredential},
		{name: "dead letter, missing", credential: "missing", deadLetter: true, want: contract.ErrCredential},
		{name: "for another origin", credential: "foreign", want: contract.ErrRejected},
		{name: "dead letter, for another origin", credential: "foreign", deadLetter: true, want: contract.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSink(t, 202, "")
			dir := t.TempDir()
			cmdtest.WriteCredential(t, dir, "basic", map[string]string{"origin": s.URL + "\n", "username": "user\n", "password": password + "\n"})
			cmdtest.WriteCredential(t, dir, "token", map[string]string{"origin": s.URL, "token": token})
			cmdtest.WriteCredential(t, dir, "malformed", map[string]string{"origin": s.URL, "password": password})
			cmdtest.WriteCredential(t, dir, "foreign", map[string]string{"origin": "https://broker.example.com", "token": token})
			creds := sink.Credentials{Dir: dir}
			if tt.noFolder {
				creds.Dir = ""
			}
			a := New(s.Client(), "http://127.0.0.1:1", nil, WithSinks(nil, creds))
			tk := tick()
			tk.Sink = s.URL + "/in"
			var receipt contract.Receipt
			var err error
			if tt.deadLetter {
				tk.SinkCredential = "token" // the tick's sink's own: it must not go to the dead-letter sink
				receipt, err = deadLetter(t, a, contract.DeadLetterRequest{Tick: tk, Sink: s.URL + "/dls", Credential: tt.credential,
					Rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400}})
			} else {
				tk.SinkCredential = tt.credential
				receipt, err = deliver(t, a, tk)
			}
			if msg := errorText(err); strings.Contains(msg, password) || strings.Contains(msg, token) {
				t.Errorf("a secret is in the error %q", msg)
			}
			n, header, _ := s.last()
			if tt.want != contract.ErrCredential && tt.want != contract.ErrRejected {
				if err != nil || n != 1 || receipt.StatusCode != 202 {
					t.Fatalf("receipt %+v, err %v, %d requests; want delivered once", receipt, err, n)
				}
				if got := header.Get("Authorization"); got != tt.want {
					t.Errorf("Authorization %q, want %q", got, tt.want)
				}
				return
			}
			if n != 0 {
				t.Errorf("the sink got %d requests, want none", n)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != tt.want || appErr.NonRetryable() != (tt.want == contract.ErrRejected) {
				t.Fatalf("err = %v, want type %s, non-retryable only if rejected", err, tt.want)
			}
			if !strings.Contains(err.Error(), `sink credential "`+tt.credential+`"`) {
				t.Errorf("err = %v, want it to name the credential", err)
			}
			if r, ok := contract.RejectionOf(err); tt.want == contract.ErrRejected &&
				(!ok || !strings.Contains(r.Reason, "not for "+sinkref.OriginOf(s.URL)) || !strings.HasPrefix(r.Sink, s.URL)) {
				t.Errorf("rejection %+v, %v; want the sink and the foreign origin", r, ok)
			}
		})
	}
}

// TestSinkCredentialWinsOverTheOIDCToken: a request that carries a credential gets no OIDC token.
func TestSinkCredentialWinsOverTheOIDCToken(t *testing.T) {
	s := newTestSink(t, 202, "")
	dir := t.TempDir()
	cmdtest.WriteCredential(t, dir, "c", map[string]string{"origin": s.URL, "token": "credential-token"})
	tokenFile := filepath.Join(dir, "oidc-token")
	if err := os.WriteFile(tokenFile, []byte("oidc-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	client := sink.NewHTTPClient(nil, 5*time.Second, sink.Policy{Home: s.URL, TokenFile: tokenFile})
	a := New(client, s.URL, nil, WithSinks(nil, sink.Credentials{Dir: dir}))
	tk := tick()
	tk.SinkCredential = "c"
	if _, err := deliver(t, a, tk); err != nil {
		t.Fatal(err)
	}
	if _, header, _ := s.last(); header.Get("Authorization") != "Bearer credential-token" {
		t.Errorf("Authorization %q, want the credential's alone", header.Get("Authorization"))
	}
}

// errorText is everything err says that Temporal keeps: its message, the messages it wraps, and
// its Rejection's sink and reason. "" for nil.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	text := err.Error()
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		text += "\n" + e.Error()
	}
	if r, ok := contract.RejectionOf(err); ok {
		text += "\n" + r.Sink + "\n" + r.Reason + "\n" + string(r.Data)
	}
	return text
}

// TestNoUserinfoInHistory: a sink URL may carry a user and password, or a token as a user name
// (the worker's own --sink, say). What Deliver returns goes into Temporal history: the receipt's
// sink, the rejection's sink and every error message carry neither.
func TestNoUserinfoInHistory(t *testing.T) {
	const user, password, token = "us3r-name", "pa55-s3cret", "tok3n"
	tests := []struct {
		name       string
		userinfo   string
		status     int    // the sink's answer; 0: nothing listens
		location   string // with a 302, where it points
		allowed    string // the worker's --allowed-sinks
		credential string // the tick's, for another origin
		want       string // "delivered", or the error type
	}{
		{name: "delivered", userinfo: user + ":" + password, status: 202, want: "delivered"},
		{name: "delivered, token", userinfo: token, status: 202, want: "delivered"},
		{name: "rejected", userinfo: user + ":" + password, status: 400, want: contract.ErrRejected},
		{name: "rejected, token", userinfo: token, status: 400, want: contract.ErrRejected},
		{name: "unavailable", userinfo: user + ":" + password, status: 503, want: contract.ErrRetryable},
		{name: "redirect not followed", userinfo: user + ":" + password, status: 302, location: "/elsewhere", want: contract.ErrRetryable},
		{name: "redirect not followed, token", userinfo: token, status: 302, location: "/elsewhere", want: contract.ErrRetryable},
		{name: "connection refused", userinfo: user + ":" + password, want: contract.ErrUnavailable},
		{name: "connection refused, token", userinfo: token, want: contract.ErrUnavailable},
		{name: "outside the allowed sinks", userinfo: user + ":" + password, status: 202,
			allowed: "https://broker.example.com", want: contract.ErrRejected},
		{name: "credential for another origin", userinfo: token, status: 202, credential: "foreign", want: contract.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSink(t, tt.status, "no")
			if tt.location != "" {
				s.Config.Handler = http.RedirectHandler(tt.location, tt.status)
			}
			if tt.status == 0 {
				s.Close() // connection refused
			}
			bare := s.URL + "/in"
			withUser := strings.Replace(bare, "http://", "http://"+tt.userinfo+"@", 1)
			allowed, err := sinkref.ParseOrigins(tt.allowed)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cmdtest.WriteCredential(t, dir, "foreign", map[string]string{"origin": "https://broker.example.com", "token": "t"})
			tk := tick()
			tk.Sink, tk.SinkCredential = withUser, tt.credential
			a := New(sink.NewHTTPClient(nil, 5*time.Second, sink.Policy{Home: withUser}), "", nil,
				WithSinks(allowed, sink.Credentials{Dir: dir}))
			receipt, err := deliver(t, a, tk)
			history := receipt.Sink + "\n" + errorText(err)
			for _, secret := range []string{user, password, token} {
				if strings.Contains(history, secret) {
					t.Errorf("%q is in what goes into history: %s", secret, history)
				}
			}
			if tt.want == "delivered" {
				if err != nil || receipt.Sink != bare {
					t.Fatalf("receipt %+v, err %v; want delivered to %s", receipt, err, bare)
				}
				return
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != tt.want {
				t.Fatalf("err = %v, want type %s", err, tt.want)
			}
			if r, ok := contract.RejectionOf(err); tt.want == contract.ErrRejected && (!ok || r.Sink != bare) {
				t.Errorf("rejection %+v, %v; want one of %s", r, ok, bare)
			}
		})
	}
}

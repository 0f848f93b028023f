package activities

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/metrics/metricstest"
	"github.com/hello-cron/cronsource/internal/sink"
)

// redirectingSink answers POSTs at / with one redirect, and records every request, at / and
// wherever the redirect points.
type redirectingSink struct {
	mu       sync.Mutex
	requests []recordedRequest
}

type recordedRequest struct {
	host, method, path string
	header             http.Header
	body               []byte
}

func (s *redirectingSink) handler(t *testing.T, redirect func(r *http.Request) (status int, location string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		s.mu.Lock()
		s.requests = append(s.requests, recordedRequest{host: r.Host, method: r.Method, path: r.URL.Path,
			header: r.Header.Clone(), body: body})
		s.mu.Unlock()
		if status, location := redirect(r); status != 0 {
			w.Header().Set("Location", location)
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

func (s *redirectingSink) seen() []recordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordedRequest(nil), s.requests...)
}

// TestDeliverThroughRedirects: a redirect never loses a tick. 301, 302 and 303 (a GET without the
// event) and any redirect the client refuses fail the attempt retryably, with the Location
// (password masked) in the error, on the log line and as a retried attempt in the metrics; 307
// and 308 on the sink's origin deliver the same POST.
func TestDeliverThroughRedirects(t *testing.T) {
	const password, locationPassword = "s3cret-pa55", "hunter2"
	tests := []struct {
		name       string
		tls        bool // the sink is https; the other server is always http
		status     int
		to         string // where the redirect points: "same" (the sink's /in), "self" (its /), "other" (another server's /in)
		mode       contract.ContentMode
		client     func(roots *x509.CertPool) *http.Client // default: the worker's
		wantErr    string                                  // "" for delivered
		wantToSink bool                                    // the POST reached /in
	}{
		{name: "301", status: 301, to: "other", wantErr: "only a 307 or 308 keeps the POST"},
		{name: "302", status: 302, to: "other", wantErr: "only a 307 or 308 keeps the POST"},
		{name: "303", status: 303, to: "same", wantErr: "only a 307 or 308 keeps the POST"},
		{name: "https to http", tls: true, status: 307, to: "other", wantErr: "from https to http"},
		{name: "loop", status: 307, to: "self", wantErr: "redirect loop"},
		{name: "307 on the sink's origin", status: 307, to: "same", wantToSink: true},
		{name: "308 on the sink's origin, structured", status: 308, to: "same", mode: contract.Structured, wantToSink: true},
		{name: "302 through a client that turns it into a GET", status: 302, to: "same",
			client:  func(*x509.CertPool) *http.Client { return &http.Client{} },
			wantErr: "sink answered 202 Accepted to a GET of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &redirectingSink{}
			other := httptest.NewServer(rec.handler(t, func(*http.Request) (int, string) { return 0, "" }))
			t.Cleanup(other.Close)
			var srv *httptest.Server
			redirect := func(r *http.Request) (int, string) {
				if r.URL.Path != "/" {
					return 0, ""
				}
				switch tt.to {
				case "self":
					return tt.status, srv.URL + "/"
				case "other":
					return tt.status, withPassword(other.URL+"/in", "dest", locationPassword)
				}
				if tt.wantToSink { // with the sink's own user and password, restored by the client
					return tt.status, srv.URL + "/in"
				}
				return tt.status, withPassword(srv.URL+"/in", "dest", locationPassword)
			}
			if tt.tls {
				srv = httptest.NewTLSServer(rec.handler(t, redirect))
			} else {
				srv = httptest.NewServer(rec.handler(t, redirect))
			}
			t.Cleanup(srv.Close)
			roots := x509.NewCertPool()
			if tt.tls {
				roots.AddCert(srv.Certificate())
			}
			client := sink.NewHTTPClient(roots, 5*time.Second, sink.Policy{})
			if tt.client != nil {
				client = tt.client(roots)
			}
			sinkURL := withPassword(srv.URL+"/", "cron", password)
			tk := tick()
			tk.ContentMode = tt.mode
			reg := prometheus.NewRegistry()
			a := New(client, sinkURL, nil)
			logger, err := observed(t, a, reg, a.Deliver, tk)

			seen := rec.seen()
			var atSink []recordedRequest
			for _, r := range seen {
				if r.path == "/in" && r.method == http.MethodPost {
					atSink = append(atSink, r)
				}
			}
			if got := len(atSink) > 0; got != tt.wantToSink {
				t.Errorf("the POST reached /in: %v, want %v (requests: %d)", got, tt.wantToSink, len(seen))
			}
			families, gatherErr := metricstest.Gather(reg)
			if gatherErr != nil {
				t.Fatal(gatherErr)
			}
			series := map[string]string{contract.MetricTagWorkflowID: testWorkflowID}
			delivered, _ := families.Value(MetricTicksDelivered, series)
			retried, _ := families.Value(MetricTicksRetried, series)

			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want delivered", err)
				}
				if delivered != 1 || retried != 0 {
					t.Errorf("delivered %v, retried %v; want 1 delivered", delivered, retried)
				}
				first, last := seen[0], atSink[len(atSink)-1]
				if first.path != "/" || !reflect.DeepEqual(first.header, last.header) || !bytes.Equal(first.body, last.body) {
					t.Errorf("the redirect sent\n%v %q\nthe sink first got\n%v %q\nwant the same POST",
						last.header, last.body, first.header, first.body)
				}
				checkLocationField(t, logger, "tick delivered", withPassword(srv.URL+"/in", "cron", "xxxxx"), password, locationPassword)
				return
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != contract.ErrRetryable || appErr.NonRetryable() || contract.IsRejected(err) {
				t.Fatalf("err = %v, want a retryable %s", err, contract.ErrRetryable)
			}
			msg := appErr.Error()
			if !strings.Contains(msg, tt.wantErr) || strings.Contains(msg, password) || strings.Contains(msg, locationPassword) ||
				strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error %q: want one line with %q and no password", msg, tt.wantErr)
			}
			if tt.to != "self" && !strings.Contains(msg, "dest:xxxxx@") {
				t.Errorf("error %q: want the Location with its password masked", msg)
			}
			if delivered != 0 || retried != 1 {
				t.Errorf("delivered %v, retried %v; want 1 retried", delivered, retried)
			}
			wantLocation := "dest:xxxxx@"
			if tt.to == "self" {
				wantLocation = srv.URL + "/"
			}
			checkLocationField(t, logger, "tick delivery failed, will retry", wantLocation, password, locationPassword)
		})
	}
}

// checkLocationField checks that the one line msg has a location field with want in it and no
// password anywhere.
func checkLocationField(t *testing.T, logger *capturingLogger, msg, want string, passwords ...string) {
	t.Helper()
	lines := logger.find(msg)
	if len(lines) != 1 {
		t.Fatalf("%d lines %q, want 1; all: %v", len(lines), msg, logger.all())
	}
	if location, _ := lines[0].fields["location"].(string); !strings.Contains(location, want) {
		t.Errorf("location field %q, want one with %q", location, want)
	}
	text := fmt.Sprint(lines[0].fields)
	for _, p := range passwords {
		if strings.Contains(text, p) {
			t.Errorf("the line shows a password: %s", text)
		}
	}
}

func withPassword(rawURL, user, password string) string {
	u, _ := url.Parse(rawURL)
	u.User = url.UserPassword(user, password)
	return u.String()
}

package activities

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sink"
)

// TestOIDCTokenOnEveryPost: the worker's HTTP client sends the OIDC token to the sink and to the
// dead-letter sink, and a token file it cannot read fails the attempt retryably.
func TestOIDCTokenOnEveryPost(t *testing.T) {
	const token = "eyJhbGciOi.secret.token"
	tests := []struct {
		name       string
		deadLetter bool
		unreadable bool
	}{
		{name: "deliver"},
		{name: "dead letter", deadLetter: true},
		{name: "deliver, unreadable token", unreadable: true},
		{name: "dead letter, unreadable token", deadLetter: true, unreadable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.unreadable {
				path = filepath.Dir(path) // a directory: it exists, reading it fails
			}
			s := newTestSink(t, 202, "")
			a := New(sink.NewHTTPClient(nil, 5*time.Second, sink.Policy{Home: s.URL, TokenFile: path}), s.URL, nil)
			var err error
			if tt.deadLetter {
				_, err = deadLetter(t, a, contract.DeadLetterRequest{Tick: tick(), Sink: s.URL,
					Rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400}})
			} else {
				_, err = deliver(t, a, tick())
			}
			n, header, _ := s.last()
			if tt.unreadable {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != contract.ErrUnavailable || appErr.NonRetryable() ||
					!strings.Contains(err.Error(), "read OIDC token") {
					t.Fatalf("err = %v, want a retryable %s about the token", err, contract.ErrUnavailable)
				}
				if n != 0 {
					t.Errorf("the sink got %d requests, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := header.Get("Authorization"); got != "Bearer "+token {
				t.Errorf("Authorization %q, want the token", got)
			}
		})
	}
}

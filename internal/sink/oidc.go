package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// DefaultOIDCTokenFile is where Knative mounts a source's OIDC token when the cluster has
// OIDC sink authentication on.
const DefaultOIDCTokenFile = "/oidc/token"

// oidcTransport adds "Authorization: Bearer <token>" to the requests that the policy lets the
// token go to (Policy.tokenAllowed), the token read from the policy's file at each request, since
// Knative rotates it. No file, no header. A file that exists but cannot
// be read, or is empty (being written, say), fails the request: sending it without the token
// would get a 401, which is a rejection for good. The token is never put in an error.
type oidcTransport struct {
	policy Policy
	base   http.RoundTripper
}

func (t oidcTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.tokenFor(req) {
		return t.base.RoundTrip(req)
	}
	token, err := readToken(t.policy.TokenFile)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if token == "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context()) // a RoundTripper must not change the caller's request
	r.Header.Set("Authorization", "Bearer "+token)
	return t.base.RoundTrip(r)
}

// tokenFor reports whether req may carry the token: the policy allows it, and req is the first
// request to the sink or a redirect to the first request's origin (scheme, host and port). A
// redirect to any other origin gets no token, as checkRedirect sends it no other credentials.
func (t oidcTransport) tokenFor(req *http.Request) bool {
	if !t.policy.tokenAllowed(req) {
		return false
	}
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return sinkref.SameOrigin(first.URL, req.URL)
}

// readToken returns the trimmed token in file, "" when there is no file.
func readToken(file string) (string, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read OIDC token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("read OIDC token: %s is empty", file)
	}
	return token, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

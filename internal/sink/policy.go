package sink

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// Policy says where the worker may post events and where its OIDC token may go. The zero Policy
// allows every sink and sends no token.
type Policy struct {
	// Home is the worker's own sink (--sink, K_SINK or SINK; may be empty). It is always allowed,
	// and its origin is the OIDC token's audience.
	Home string
	// Allowed are the origins that sources may name as sinks and dead-letter sinks, besides
	// Home's; empty allows any.
	Allowed sinkref.Origins
	// TokenFile holds the OIDC token, read at each request; "" sends none.
	TokenFile string
	// TokenOrigins get the token too, besides Home's origin.
	TokenOrigins sinkref.Origins
}

// NotAllowedError is a sink whose origin the policy does not allow.
type NotAllowedError struct{ Origin string }

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("sink origin %s is not in the allowed sinks", e.Origin)
}

// Check returns a *NotAllowedError for a sink URL that the policy does not allow.
func (p Policy) Check(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("sink is not a URL: %w", err)
	}
	if !p.allows(u) {
		return &NotAllowedError{Origin: sinkref.Origin(u)}
	}
	return nil
}

func (p Policy) allows(u *url.URL) bool {
	return len(p.Allowed) == 0 || p.Allowed.Contains(u) || p.isHome(u)
}

func (p Policy) isHome(u *url.URL) bool {
	home, err := url.Parse(p.Home)
	return p.Home != "" && err == nil && sinkref.SameOrigin(home, u)
}

// tokenAllowed reports whether the OIDC token may go to u: its audience (Home's origin) or an
// origin allowed explicitly, over https or to this machine. A request that carries the sink's
// own credentials (a user in the URL, an Authorization header) gets no token: those win.
func (p Policy) tokenAllowed(req *http.Request) bool {
	u := req.URL
	switch {
	case p.TokenFile == "", u.User != nil, req.Header.Get("Authorization") != "":
		return false
	case u.Scheme != "https" && !sinkref.IsLoopback(u):
		return false
	}
	return p.isHome(u) || p.TokenOrigins.Contains(u)
}

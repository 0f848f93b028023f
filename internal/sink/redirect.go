package sink

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// MaxRedirects bounds the 307 and 308 redirects that one delivery attempt follows.
const MaxRedirects = 3

// RedirectError is a redirect that the sink's HTTP client did not follow: the attempt fails, and
// Temporal's retry policy sends the tick again. It is returned inside the *url.Error of
// http.Client.Do, with the redirect's response (its body already closed).
type RedirectError struct {
	StatusCode int
	Status     string // "302 Found"
	Location   string // the URL it pointed to, any password masked
	Reason     string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("redirect %s to %s not followed: %s", e.Status, e.Location, e.Reason)
}

// checkRedirect is the http.Client's redirect policy: a tick is only ever sent again as the same
// POST, with the same headers and body, and credentials only go to the first request's origin.
//   - 301, 302 and 303 are not followed: net/http would resend the POST as a GET without the event.
//   - 307 and 308 are followed, at most MaxRedirects times, never from https to http, never in a
//     loop, with the same method, headers and body (net/http's Referer is taken out again).
//   - To the first request's origin (scheme, host and port), the URL's user and password go along:
//     net/http drops them from a redirect's absolute Location, and the 401 that follows would
//     reject the tick for good. To any other origin no credentials go: no user and password, no
//     Authorization or cookie header (net/http keeps those for the same host on another port or
//     scheme, and for its subdomains), and no OIDC token (oidcTransport.tokenFor).
//   - A hop to an origin that the policy does not allow is not followed.
func (p Policy) checkRedirect(req *http.Request, via []*http.Request) error {
	first, resp := via[0], req.Response // the redirect: net/http always sets it
	refuse := func(format string, args ...any) error {
		return &RedirectError{StatusCode: resp.StatusCode, Status: resp.Status,
			Location: sinkref.RedactURL(pointedTo(req.URL, via[len(via)-1].URL)), Reason: fmt.Sprintf(format, args...)}
	}
	switch status := resp.StatusCode; {
	case status != http.StatusTemporaryRedirect && status != http.StatusPermanentRedirect:
		return refuse("only a 307 or 308 keeps the POST and its body")
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return refuse("not an http or https URL")
	case req.URL.Scheme == "http" && anyHTTPS(via):
		return refuse("from https to http")
	case visited(req.URL, via):
		return refuse("redirect loop")
	case len(via) > MaxRedirects:
		return refuse("more than %d redirects", MaxRedirects)
	case !p.allows(req.URL):
		return refuse("%v", &NotAllowedError{Origin: sinkref.Origin(req.URL)})
	}
	// net/http adds a Referer to every hop: the sink gets the same headers again instead.
	req.Header.Del("Referer")
	if ref, ok := first.Header["Referer"]; ok {
		req.Header["Referer"] = ref
	}
	if sinkref.SameOrigin(first.URL, req.URL) {
		if req.URL.User == nil {
			req.URL.User = first.URL.User
		}
		return nil
	}
	req.URL.User = nil
	// The headers that net/http counts as sensitive on a redirect.
	for _, name := range []string{"Authorization", "Proxy-Authorization", "Www-Authenticate",
		"Proxy-Authenticate", "Cookie", "Cookie2"} {
		req.Header.Del(name)
	}
	return nil
}

// pointedTo is u, where a redirect of prev points, without the user and password that net/http
// copied from prev when the Location named none (a relative one): they are the sink's own, and a
// RedirectError's message goes into Temporal history.
func pointedTo(u, prev *url.URL) *url.URL {
	if u.User == nil || prev.User == nil || u.User.String() != prev.User.String() {
		return u
	}
	c := *u
	c.User = nil
	return &c
}

func anyHTTPS(via []*http.Request) bool {
	for _, r := range via {
		if r.URL.Scheme == "https" {
			return true
		}
	}
	return false
}

// visited reports whether u was already requested, whatever user and password either carried.
func visited(u *url.URL, via []*http.Request) bool {
	for _, r := range via {
		if withoutUser(r.URL) == withoutUser(u) {
			return true
		}
	}
	return false
}

func withoutUser(u *url.URL) string {
	c := *u
	c.User, c.Fragment, c.RawFragment = nil, "", ""
	return c.String()
}

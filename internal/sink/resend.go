package sink

import (
	"net/http"
	"net/http/httptrace"
)

// resendOnce sends a request once more when it failed on a kept-alive connection, the way a sink's
// idle timeout fails the request that reuses a connection the sink is closing. Once, so that a
// sink that drops every reused connection gets a request at most twice, however many idle
// connections the client keeps (net/http's own resend of requests marked idempotent goes on while
// idle connections last). A request without GetBody, or whose context has ended, is not resent.
type resendOnce struct{ base http.RoundTripper }

func (t resendOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	var reused bool
	trace := &httptrace.ClientTrace{GotConn: func(c httptrace.GotConnInfo) { reused = c.Reused }}
	resp, err := t.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err == nil || !reused || req.GetBody == nil || req.Context().Err() != nil {
		return resp, err
	}
	body, berr := req.GetBody()
	if berr != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	again.Body = body
	return t.base.RoundTrip(again)
}

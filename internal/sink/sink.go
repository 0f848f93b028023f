// Package sink is the worker's side of its sinks: Knative's sink contract as the worker reads it
// at start (Env: the sink URL of --sink, K_SINK or SINK, the K_CE_OVERRIDES extensions, the
// K_CA_CERTS certificates, the OIDC token file), and the HTTP client that delivers to sinks, with
// its redirect policy, allowed sinks, credentials and OIDC token. Sink URLs, origins and
// credential names themselves are internal/sinkref's.
package sink

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"
)

// CACertPool returns the system pool plus the PEM certificates in pem (the content of
// K_CA_CERTS). An empty pem gives nil, meaning the system pool alone.
func CACertPool(pem string) (*x509.CertPool, error) {
	if pem == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM([]byte(pem)) {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return pool, nil
}

// DefaultRequestTimeout bounds one delivery attempt, from dialling to the end of the response.
const DefaultRequestTimeout = 10 * time.Second

// maxIdleConnsPerSink is how many keep-alive connections the client keeps open to one sink
// between POSTs: more than a group's batch (500 ticks posted at once), so that the ticks of a herd
// reuse the connections of the batch before them, within the herd and from one herd to the next
// (for 90 s), instead of each dialling a connection and closing it. Keeping 32, dialling took a
// quarter of the worker's CPU in a herd (docs/benchmarks.md). A sink may close idle connections
// sooner; the client then dials again.
const maxIdleConnsPerSink = 1024

// NewHTTPClient returns the client that posts events to sinks: keep-alive connections that are
// reused across deliveries (up to maxIdleConnsPerSink to each sink, four times that in all), a
// timeout on every attempt, no retries of its own (Temporal's retry policy is the retry layer)
// but one: a request that fails on a kept-alive connection is sent once more (resendOnce). It
// follows only the redirects that resend the same POST (307 and 308, at most MaxRedirects, never
// from https to http, credentials only to the first request's origin, never to an origin the
// policy does not allow) and returns a *RedirectError for any other. roots may be nil for the
// system pool. The OIDC token in the policy's file goes only where the policy lets it (see
// Policy.TokenOrigins).
func NewHTTPClient(roots *x509.CertPool, timeout time.Duration, p Policy) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: p.checkRedirect,
		Transport: oidcTransport{policy: p, base: resendOnce{&http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: timeout,
			ExpectContinueTimeout: time.Second,
			MaxIdleConns:          4 * maxIdleConnsPerSink,
			MaxIdleConnsPerHost:   maxIdleConnsPerSink,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}}},
	}
}

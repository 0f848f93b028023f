// Package sink holds the Knative sink contract as the worker reads it: the sink URL (K_SINK,
// SINK or --sink), the CloudEvent overrides (K_CE_OVERRIDES), the extra CA certificates
// (K_CA_CERTS), the OIDC token (/oidc/token), and the HTTP client that delivers to the sink.
package sink

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ParseURL checks that s is an absolute http or https URL with a host.
func ParseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("must be an http or https URL")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("must have a host")
	}
	return u, nil
}

// Redact shows a sink URL in logs with any password in it masked, and a user name given without
// a password too: that is how a token is put in a URL.
// A string that does not parse as a URL has whatever comes between "://" and its last "@" masked.
func Redact(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		scheme, rest, found := strings.Cut(s, "://")
		if at := strings.LastIndex(rest, "@"); found && at >= 0 {
			return scheme + "://xxxxx" + rest[at:]
		}
		return s
	case u.User == nil:
		return s
	}
	return RedactURL(u)
}

// RedactURL is Redact for a parsed URL.
func RedactURL(u *url.URL) string {
	if _, hasPassword := u.User.Password(); hasPassword {
		return u.Redacted()
	}
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = url.User("xxxxx")
	return c.String()
}

// WithoutUserinfo is a sink URL with no user and no password in it, for a party other than
// that sink: a user name can be a token as well.
func WithoutUserinfo(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

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

// NewHTTPClient returns the client that posts events to sinks: keep-alive connections that are
// reused across deliveries, a timeout on every attempt, no retries of its own (Temporal's retry
// policy is the only retry layer). It follows only the redirects that resend the same POST (307
// and 308, at most MaxRedirects, never from https to http, credentials only to the first
// request's origin, never to an origin the policy does not allow) and returns a *RedirectError
// for any other. roots may be nil for the system pool. The OIDC token in the policy's file goes
// only where the policy lets it (see Policy.TokenOrigins).
func NewHTTPClient(roots *x509.CertPool, timeout time.Duration, p Policy) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: p.checkRedirect,
		Transport: oidcTransport{policy: p, base: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: timeout,
			ExpectContinueTimeout: time.Second,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}},
	}
}

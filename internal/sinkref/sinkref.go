// Package sinkref holds references to sinks: their URLs, their origins and the names of the
// credentials for them. It checks them and shows them without their secrets (Redact,
// WithoutUserinfo), and does no I/O, so that workflow code can use it; internal/sink is the
// HTTP side.
package sinkref

import (
	"fmt"
	"net/url"
	"strings"
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

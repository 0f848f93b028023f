package sinkref

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Origins is a set of origins (scheme, host and port), written as Origin writes them.
type Origins []string

// ParseOrigins reads a comma-separated list of http or https origins, such as
// "https://broker.example.com,http://localhost:8080". An empty list gives nil.
func ParseOrigins(list string) (Origins, error) {
	var o Origins
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		u, err := ParseURL(entry)
		if err == nil && (u.User != nil || strings.TrimSuffix(u.EscapedPath(), "/") != "" || u.RawQuery != "" || u.Fragment != "") {
			err = fmt.Errorf("must be an origin only: scheme, host and port")
		}
		if err != nil {
			// Redact: a user and password put in the list by mistake are not shown.
			return nil, fmt.Errorf("entry %q: %w, such as https://broker.example.com", Redact(entry), err)
		}
		o = append(o, Origin(u))
	}
	return o, nil
}

// Contains reports whether u's origin is in o.
func (o Origins) Contains(u *url.URL) bool {
	want := Origin(u)
	for _, have := range o {
		if have == want {
			return true
		}
	}
	return false
}

// String is the list as ParseOrigins reads it.
func (o Origins) String() string { return strings.Join(o, ",") }

// OriginOf is the origin of a sink URL, as Origins holds it; "" if it is not a URL.
func OriginOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return Origin(u)
}

// SameOrigin reports whether a and b have the same origin: scheme, host and port, the port
// defaulting to the scheme's.
func SameOrigin(a, b *url.URL) bool {
	return Origin(a) == Origin(b)
}

// Origin is u's origin as Origins holds it: scheme and host in lower case, and the port, the
// scheme's default when u has none, such as "https://broker.example.com:443".
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	switch {
	case port != "":
	case scheme == "http":
		port = "80"
	case scheme == "https":
		port = "443"
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// IsLoopback reports whether u's host is this machine: localhost or a loopback address.
func IsLoopback(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

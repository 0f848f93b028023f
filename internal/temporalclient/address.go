package temporalclient

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/resolver"
)

// DefaultPort is the Temporal frontend's port, given to an address without one. gRPC, which the
// SDK hands the address to, would otherwise use 443.
const DefaultPort = "7233"

// errAddressHint ends every error about an address, which is quoted before it.
const errAddressHint = "must be host:port, such as " + DefaultAddress

// normalizeAddress checks a --address value and returns it as the SDK should dial it:
//   - host:port, [IPv6]:port: as given;
//   - host, IPv4, [IPv6], IPv6: with DefaultPort (an IPv6 literal in brackets);
//   - a gRPC target URI whose scheme gRPC has a resolver for, such as dns:///host:port,
//     dns://resolver-host/host:port or passthrough:///host:port, which the SDK passes to gRPC:
//     the host:port after the scheme is checked and given DefaultPort in the same way;
//     unix:path and unix-abstract:name are only checked to name something.
//
// A host must be an IP address or a DNS name; a port must be 1 to 65535. The error says what is
// wrong; the caller adds the flag or env var and the value.
func normalizeAddress(addr string) (string, error) {
	if i := strings.IndexFunc(addr, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		if r, _ := utf8.DecodeRuneInString(addr[i:]); r != ' ' {
			return "", fmt.Errorf("it has the character %q", r)
		}
		return "", errors.New("it has a space")
	}
	// The test gRPC applies: a URL whose scheme has a registered resolver is a target URI, and
	// anything else is the endpoint of its default scheme, dns. "localhost:7233" parses as the
	// URL of a scheme "localhost", which has none.
	if u, err := url.Parse(addr); err == nil && u.Scheme != "" {
		if resolver.Get(u.Scheme) != nil {
			return normalizeTarget(addr, u)
		}
		if strings.Contains(addr, "://") { // http://host:port, say
			return "", fmt.Errorf("gRPC has no resolver for %s://", u.Scheme)
		}
	}
	return normalizeHostPort(addr)
}

// normalizeTarget checks a gRPC target URI, scheme:[//authority/]endpoint.
func normalizeTarget(addr string, u *url.URL) (string, error) {
	endpoint := resolver.Target{URL: *u}.Endpoint()
	switch u.Scheme {
	case "dns", "passthrough":
		hostPort, err := normalizeHostPort(endpoint)
		if err != nil {
			return "", fmt.Errorf("%s:// target: %w", u.Scheme, err)
		}
		if hostPort == endpoint {
			return addr, nil
		}
		if u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(addr, endpoint) {
			return "", fmt.Errorf("%s:// target: %s has no port", u.Scheme, endpoint)
		}
		return strings.TrimSuffix(addr, endpoint) + hostPort, nil
	default: // unix, unix-abstract, or one that another package registered
		if endpoint == "" && u.Host == "" {
			return "", fmt.Errorf("%s: target names nothing", u.Scheme)
		}
		return addr, nil
	}
}

// normalizeHostPort checks host:port and gives a host without a port DefaultPort.
func normalizeHostPort(s string) (string, error) {
	if s == "" {
		return "", errors.New("the host is empty")
	}
	if _, err := netip.ParseAddr(s); err == nil { // 127.0.0.1, ::1 (a colon here is IPv6's)
		return net.JoinHostPort(s, DefaultPort), nil
	}
	if inner, ok := strings.CutPrefix(s, "["); ok && strings.HasSuffix(inner, "]") { // [::1]
		if err := checkIPv6(strings.TrimSuffix(inner, "]")); err != nil {
			return "", err
		}
		return s + ":" + DefaultPort, nil
	}
	if !strings.Contains(s, ":") {
		if err := checkDNSName(s); err != nil {
			return "", err
		}
		return net.JoinHostPort(s, DefaultPort), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		var addrErr *net.AddrError
		if errors.As(err, &addrErr) {
			return "", errors.New(addrErr.Err) // "too many colons in address", say
		}
		return "", err
	}
	if host == "" {
		return "", errors.New("the host is empty")
	}
	if err := checkPort(port); err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "[") {
		if err := checkIPv6(host); err != nil {
			return "", err
		}
		return s, nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return s, nil
	}
	if err := checkDNSName(host); err != nil {
		return "", err
	}
	return s, nil
}

// checkIPv6 checks what goes between brackets: an IPv6 address, perhaps with a zone.
func checkIPv6(s string) error {
	if ip, err := netip.ParseAddr(s); err != nil || !ip.Is6() {
		return fmt.Errorf("%s in brackets is not an IPv6 address", s)
	}
	return nil
}

// checkPort: decimal digits only, 1 to 65535.
func checkPort(port string) error {
	if port == "" {
		return errors.New("the port is empty")
	}
	if strings.Trim(port, "0123456789") != "" {
		return fmt.Errorf("port %s is not a number", port)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("port %s is not between 1 and 65535", port)
	}
	return nil
}

// checkDNSName accepts what Go's resolver would look up: dot-separated labels of 1 to 63
// letters, digits, '-' and '_' (as in Docker Compose service names), no label starting or ending
// with '-', at most 253 characters besides a final dot, and not all digits (256.1.1.1 is no IP
// address and no name).
func checkDNSName(s string) error {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("host %s is not an IP address or a DNS name", s)
	}
	nonNumeric := false
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host %s is not an IP address or a DNS name", s)
		}
		for i := 0; i < len(label); i++ {
			switch c := label[i]; {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '-', c == '_':
				nonNumeric = true
			case '0' <= c && c <= '9':
			default:
				return fmt.Errorf("host %s is not an IP address or a DNS name", s)
			}
		}
	}
	if !nonNumeric {
		return fmt.Errorf("host %s is not an IP address or a DNS name", s)
	}
	return nil
}

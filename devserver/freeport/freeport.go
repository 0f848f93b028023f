// Package freeport finds a free TCP port for a server that binds it itself, by number: Temporal's
// services and the Web UI's server take a port, not a listener. A port found by listening on
// port 0 and closing at once is free only until the kernel hands it out again, to the next
// process that asks for any free port or makes an outgoing connection; Reserve keeps it from
// them until the server has bound it.
package freeport

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// timeout bounds each step of a reservation, which only talks to itself.
const timeout = 5 * time.Second

// Reserve returns a port of ip that the kernel chose, left in TIME_WAIT: for that state's length
// (60 s on Linux) the kernel gives the port to no one who asks for any free port, nor to an
// outgoing connection, while a server that binds it by number with SO_REUSEADDR, as Go's
// net.Listen does, gets it. It is the trick of Yelp's ephemeral-port-reserve: listen on port 0,
// connect to it, accept, and close the accepted side first, whose socket then waits in TIME_WAIT.
//
// What it does not stop is a process that binds that very number having picked it itself, not
// from the kernel, in the moment before the server binds it; the server then fails as it does on
// any port that is taken.
func Reserve(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port of %s: %w", ip, err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if err := timeWait(l.(*net.TCPListener), net.JoinHostPort(dialIP(ip), strconv.Itoa(port))); err != nil {
		return 0, fmt.Errorf("reserve port %d of %s: %w", port, ip, err)
	}
	return port, nil
}

// timeWait connects to l at addr and closes the accepted side first, then the client once the
// accepted side's FIN has arrived: the accepted side, which holds l's port, ends in TIME_WAIT.
func timeWait(l *net.TCPListener, addr string) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	if err := l.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	s, err := l.Accept()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("close the accepted side: %w", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, c); err != nil { // until the accepted side's FIN
		return fmt.Errorf("wait for the accepted side to close: %w", err)
	}
	return nil
}

// dialIP is the address to connect to a listener on ip: the loopback address of its family when
// ip is unspecified (0.0.0.0 or ::).
func dialIP(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil || !parsed.IsUnspecified():
		return ip
	case parsed.To4() != nil:
		return "127.0.0.1"
	default:
		return "::1"
	}
}

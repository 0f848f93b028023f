package freeport

import (
	"net"
	"runtime"
	"strconv"
	"testing"
)

// A reserved port is the server's for the asking: a listener that binds it by number gets it.
func TestReservedPortCanBeBound(t *testing.T) {
	tests := []struct {
		name string
		ip   string
	}{
		{name: "loopback", ip: "127.0.0.1"},
		{name: "every IPv4 address", ip: "0.0.0.0"},
		{name: "IPv6 loopback", ip: "::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if l, err := net.Listen("tcp", net.JoinHostPort(tt.ip, "0")); err != nil {
				t.Skipf("no %s here: %v", tt.ip, err)
			} else {
				l.Close()
			}
			port, err := Reserve(tt.ip)
			if err != nil {
				t.Fatalf("Reserve(%q): %v", tt.ip, err)
			}
			if port < 1 || port > 65535 {
				t.Fatalf("Reserve(%q) = %d, want a port", tt.ip, port)
			}
			l, err := net.Listen("tcp", net.JoinHostPort(tt.ip, strconv.Itoa(port)))
			if err != nil {
				t.Fatalf("listen on the reserved port %d: %v", port, err)
			}
			l.Close()
		})
	}
}

// While reserved, a port is not handed out to those who ask the kernel for any free port. Without
// the reservation, 2000 listeners on port 0 would take about 7 of the 100 ports (the kernel hands
// out some 28000); with it, none.
func TestReservedPortIsNotHandedOut(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks Linux's choice of free ports")
	}
	reserved := map[int]bool{}
	for range 100 {
		port, err := Reserve("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		reserved[port] = true
	}
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 2000 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Logf("stopped after %d listeners: %v", len(held), err)
			break
		}
		held = append(held, l)
		if port := l.Addr().(*net.TCPAddr).Port; reserved[port] {
			t.Errorf("listener on port 0 got the reserved port %d", port)
		}
	}
}

func TestDialIP(t *testing.T) {
	tests := []struct{ ip, want string }{
		{ip: "127.0.0.1", want: "127.0.0.1"},
		{ip: "192.0.2.7", want: "192.0.2.7"},
		{ip: "0.0.0.0", want: "127.0.0.1"},
		{ip: "::", want: "::1"},
		{ip: "::1", want: "::1"},
		{ip: "localhost", want: "localhost"},
	}
	for _, tt := range tests {
		if got := dialIP(tt.ip); got != tt.want {
			t.Errorf("dialIP(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

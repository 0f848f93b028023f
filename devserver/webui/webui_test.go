package webui

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/cmdtest"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The page and the health route need no frontend: the UI dials it only for /api/v1 calls.
func TestServesThePageUntilStopped(t *testing.T) {
	tests := []struct {
		name string
		ip   string
	}{
		{name: "loopback", ip: "127.0.0.1"},
		{name: "all addresses, URL on loopback", ip: "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := freePort(t)
			s, err := Start(Config{IP: tt.ip, Port: port, Frontend: "127.0.0.1:1"})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			stopped := false
			defer func() {
				if !stopped {
					s.Stop()
				}
			}()
			want := fmt.Sprintf("http://127.0.0.1:%d", port)
			if s.URL() != want {
				t.Errorf("URL = %q, want %q", s.URL(), want)
			}
			resp, body := cmdtest.Get(t, s.URL()+"/")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(strings.ToLower(body), "<!doctype html>") {
				t.Errorf("GET /: %d %q, body starts %q; want 200 and the HTML page",
					resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(len(body), 80)])
			}
			if resp, body := cmdtest.Get(t, s.URL()+"/healthz"); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /healthz: %d %q, want 200", resp.StatusCode, body)
			}

			s.Stop()
			stopped = true
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				c.Close()
				t.Errorf("port %d still accepts connections after Stop", port)
			}
		})
	}
}

func TestPortInUseIsAListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	s, err := Start(Config{IP: "127.0.0.1", Port: port, Frontend: "127.0.0.1:1"})
	var listenErr *ListenError
	if !errors.As(err, &listenErr) {
		if s != nil {
			s.Stop()
		}
		t.Fatalf("Start on busy port %d: err = %v, want a *ListenError", port, err)
	}
}

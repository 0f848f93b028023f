// Package webui serves the Temporal Web UI beside the devserver, as `temporal server start-dev`
// does: the UI's pages and its HTTP API (/api/v1/...), which it forwards to the frontend over
// gRPC. It is wired like the Temporal CLI's dev server, on the same ui-server release, but
// read-only unless write actions are turned on.
package webui

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiapi "github.com/temporalio/ui-server/v2/server/api"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// Config says where the UI listens and which frontend it talks to.
type Config struct {
	// IP and Port are the UI's HTTP address.
	IP   string
	Port int
	// Frontend is the Temporal frontend's host:port as a client on this machine dials it.
	Frontend string
	// StartTimeout bounds the wait for the UI to accept connections; zero means 10 s.
	StartTimeout time.Duration
	// WriteActions lets the UI change what it shows: start, signal, cancel, terminate, reset
	// or delete workflows, and the like. Off, the UI is read-only, in the browser and in its
	// API (see readOnlyAPI).
	WriteActions bool
}

// Server is a running Web UI.
type Server struct {
	ui   *uiserver.Server
	url  string
	done chan error
}

// ListenError is a failure to listen on the UI's address, as opposed to any other.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return fmt.Sprintf("cannot listen on %s: %v", e.Addr, e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// Start serves the UI and returns once it accepts connections.
//
// ui-server binds its address itself and ends the process if it cannot, with no error to the
// caller, so Start first makes sure that the address is free and returns a *ListenError if not.
func Start(cfg Config) (*Server, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	bind := net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.Port))
	l, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, &ListenError{Addr: bind, Err: err}
	}
	if err := l.Close(); err != nil {
		return nil, fmt.Errorf("release %s: %w", bind, err)
	}
	host := cfg.IP
	if ip := net.ParseIP(cfg.IP); ip != nil && ip.To4() == nil {
		host = "[" + cfg.IP + "]" // ui-server joins Host and Port with a colon
	}
	opts := []uiserveroptions.ServerOption{uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                cfg.Port,
		TemporalGRPCAddress: cfg.Frontend,
		EnableUI:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true}, // plain HTTP
		HideLogs:            true,
		DisableWriteActions: !cfg.WriteActions,
	})}
	if !cfg.WriteActions {
		opts = append(opts, uiserveroptions.WithAPIMiddleware([]uiapi.Middleware{readOnlyAPI}))
	}
	ui := uiserver.NewServer(opts...)
	s := &Server{ui: ui, url: "http://" + clientAddr(cfg.IP, cfg.Port), done: make(chan error, 1)}
	go func() { s.done <- ui.Start() }()
	if err := s.waitAccepting(clientAddr(cfg.IP, cfg.Port), cfg.StartTimeout); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitAccepting polls addr until it accepts a connection.
func (s *Server) waitAccepting(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case err := <-s.done:
			s.done <- err // for Stop
			if err == nil {
				err = errors.New("no reason given")
			}
			return fmt.Errorf("web UI at %s stopped while starting: %w", addr, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("web UI at %s did not accept connections within %v: %w", addr, timeout, err)
		}
	}
}

// URL is the UI's address for a browser on this machine.
func (s *Server) URL() string { return s.url }

// Stop closes the UI's listener and connections and waits for it to end.
func (s *Server) Stop() {
	s.ui.Stop()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// clientAddr is host:port for a client on this machine: the loopback address when the UI
// listens on all addresses.
func clientAddr(ip string, port int) string {
	if parsed := net.ParseIP(ip); parsed == nil || parsed.IsUnspecified() {
		ip = "127.0.0.1"
	}
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

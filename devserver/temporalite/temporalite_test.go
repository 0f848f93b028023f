package temporalite

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/log"
)

// startServer starts a server on a free port and stops it when the test ends, unless the
// test stops it first.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	port, err := freePort(loopback)
	if err != nil {
		t.Fatal(err)
	}
	cfg.IP, cfg.Port, cfg.Logger = loopback, port, log.NewNoopLogger()
	srv, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return srv
}

// namespaceExists asks the running server whether it knows the namespace.
func namespaceExists(t *testing.T, srv *Server, name string) bool {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.Addr(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: name})
	var notFound *serviceerror.NamespaceNotFound
	switch {
	case err == nil:
		return true
	case errors.As(err, &notFound):
		return false
	default:
		t.Fatalf("describe namespace %q: %v", name, err)
		return false
	}
}

func TestNamespacesAcrossRestart(t *testing.T) {
	tests := []struct {
		name      string
		ephemeral bool
		// whether the namespace created by the first run is still there after a restart
		survives bool
	}{
		{name: "file keeps its namespaces", ephemeral: false, survives: true},
		{name: "ephemeral starts empty", ephemeral: true, survives: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "nested", "temporal.db")
			cfg := Config{DBFilename: db, Ephemeral: tt.ephemeral, Namespaces: []string{"default", "team-a"}}

			first := startServer(t, cfg)
			for _, ns := range []string{"default", "team-a"} {
				if !namespaceExists(t, first, ns) {
					t.Errorf("first run: namespace %q missing", ns)
				}
			}
			if namespaceExists(t, first, "team-b") {
				t.Error("first run: namespace team-b exists but was never asked for")
			}
			first.Stop()

			cfg.Namespaces = []string{"default"}
			second := startServer(t, cfg)
			defer second.Stop()
			if !namespaceExists(t, second, "default") {
				t.Error("second run: namespace default missing")
			}
			if got := namespaceExists(t, second, "team-a"); got != tt.survives {
				t.Errorf("second run: namespace team-a exists = %v, want %v", got, tt.survives)
			}
		})
	}
}

func TestSecondServerOnSameFileIsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	srv := startServer(t, Config{DBFilename: db, Namespaces: []string{"default"}})
	defer srv.Stop()

	_, err := Start(Config{DBFilename: db, IP: loopback, Port: 1, Logger: log.NewNoopLogger()})
	if err == nil || !strings.Contains(err.Error(), "in use by another devserver") {
		t.Fatalf("second Start on %s: err = %v, want 'in use by another devserver'", db, err)
	}
}

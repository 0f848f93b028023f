package temporalite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/dynamicconfig"
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

// freePort is a port of ip that is free now, for a test server's frontend, at random in the
// range of internalPorts, which keeps its blocks clear of it.
func freePort(ip string) (int, error) {
	for range 100 {
		port := firstInternalPort + rand.IntN(endInternalPorts-firstInternalPort)
		if allFree(ip, []int{port}) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port from %d to %d", firstInternalPort, endInternalPorts-1)
}

func TestInternalPorts(t *testing.T) {
	first, err := internalPorts(loopback, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if first[1] != first[0]+1 || first[2] != first[0]+2 || first[0] < firstInternalPort || first[2] >= endInternalPorts {
		t.Fatalf("ports %v: want a block of 3 in [%d, %d)", first, firstInternalPort, endInternalPorts)
	}
	// The same process asks again while a server holds the first block: it gets the next one.
	var held []net.Listener
	for _, p := range first {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(p)))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
	}
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	second, err := internalPorts(loopback, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range second {
		if p >= first[0] && p <= first[2] {
			t.Fatalf("second block %v overlaps the held %v", second, first)
		}
	}
	// A block is never the frontend's.
	third, err := internalPorts(loopback, 3, second[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range third {
		if p == second[1] {
			t.Fatalf("block %v holds the frontend's port %d", third, second[1])
		}
	}
}

func TestDynamicConfigHistoryCache(t *testing.T) {
	key := dynamicconfig.HistoryCacheHostLevelMaxSize.Key()
	tests := []struct {
		cfg  Config
		want any // nil: Temporal's default
	}{
		{Config{}, DefaultHistoryCacheSize},
		{Config{HistoryCacheSize: 60000}, 60000},
		{Config{HistoryCacheSize: 60000, Stock: true}, nil},
	}
	for _, tt := range tests {
		if got := dynamicConfig(tt.cfg)[key]; got != tt.want {
			t.Errorf("%+v: %s = %v, want %v", tt.cfg, key, got, tt.want)
		}
	}
}

// TestRetention: the namespaces get the retention asked for, a new one and, when the same file
// is started again with another, the existing ones.
func TestRetention(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	for _, tt := range []struct {
		namespaces []string
		retention  time.Duration
		want       time.Duration
	}{
		{[]string{"default"}, 0, DefaultRetention},
		{[]string{"default", "team-a"}, 3 * time.Hour, 3 * time.Hour},
		{[]string{"default", "team-a"}, 0, DefaultRetention},
	} {
		srv := startServer(t, Config{DBFilename: db, Namespaces: tt.namespaces, Retention: tt.retention})
		c, err := client.Dial(client.Options{HostPort: srv.Addr(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err != nil {
			t.Fatalf("dial %s: %v", srv.Addr(), err)
		}
		for _, ns := range tt.namespaces {
			resp, err := c.WorkflowService().DescribeNamespace(t.Context(), &workflowservice.DescribeNamespaceRequest{Namespace: ns})
			if err != nil {
				t.Fatalf("describe %s: %v", ns, err)
			}
			if got := resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != tt.want {
				t.Errorf("started with retention %v: namespace %s keeps closed runs %v, want %v", tt.retention, ns, got, tt.want)
			}
		}
		c.Close()
		srv.Stop()
	}
}

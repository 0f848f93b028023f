// Package temporalitetest runs the embedded Temporal server in a test's own process, in memory
// and on a free port, as the devserver would with --ephemeral --port 0: for the in-process tests
// of the worker and the starter commands.
package temporalitetest

import (
	"testing"

	"go.temporal.io/server/common/log"

	"github.com/hello-cron/cronsource/devserver/freeport"
	"github.com/hello-cron/cronsource/devserver/temporalite"
	"github.com/hello-cron/cronsource/internal/searchattr"
)

// Start runs an in-memory server with the default namespace and the project's search
// attributes, its frontend on a free port of 127.0.0.1, and stops it when the test ends. It
// returns the frontend's host:port.
func Start(t testing.TB) string {
	t.Helper()
	port, err := freeport.Reserve("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := temporalite.Start(temporalite.Config{
		Ephemeral: true, IP: "127.0.0.1", Port: port,
		Namespaces: []string{"default"}, SearchAttributes: searchattr.Types(),
		Logger: log.NewNoopLogger(),
	})
	if err != nil {
		t.Fatalf("start Temporal: %v", err)
	}
	t.Cleanup(srv.Stop)
	return srv.Addr()
}

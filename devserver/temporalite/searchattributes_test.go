package temporalite

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/common/log"
)

// checkSearchAttributes asserts that namespace ns has want registered and usable at once: a
// start that sets them and a query on them both succeed.
func checkSearchAttributes(t *testing.T, srv *Server, ns string, want map[string]enumspb.IndexedValueType) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.Addr(), Namespace: ns, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatalf("list search attributes of %q: %v", ns, err)
	}
	for name, typ := range want {
		if got := resp.GetCustomAttributes()[name]; got != typ {
			t.Errorf("namespace %q: search attribute %s has type %v, want %v", ns, name, got, typ)
		}
	}
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "with-search-attributes", TaskQueue: "nobody-polls",
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("TestKeyword").ValueSet("x"),
			temporal.NewSearchAttributeKeyBool("TestBool").ValueSet(true)),
	}, "AnyWorkflow")
	if err != nil {
		t.Errorf("namespace %q: start with the search attributes: %v", ns, err)
	}
	if _, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: ns, Query: "TestBool = true",
	}); err != nil {
		t.Errorf("namespace %q: query on the search attributes: %v", ns, err)
	}
}

func TestSearchAttributesAcrossRestart(t *testing.T) {
	want := map[string]enumspb.IndexedValueType{
		"TestKeyword": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"TestBool":    enumspb.INDEXED_VALUE_TYPE_BOOL,
	}
	tests := []struct {
		name string
		// before: the search attributes of an earlier run on the same file, if any.
		before map[string]enumspb.IndexedValueType
	}{
		{name: "new file gets them with its namespaces"},
		{name: "file from before they existed gets them at start", before: map[string]enumspb.IndexedValueType{}},
		{name: "file that has them keeps them", before: want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{DBFilename: filepath.Join(t.TempDir(), "temporal.db"), Namespaces: []string{"default", "team-a"}}
			if tt.before != nil {
				cfg.SearchAttributes = tt.before
				startServer(t, cfg).Stop()
			}
			cfg.SearchAttributes = want
			srv := startServer(t, cfg)
			defer srv.Stop()
			for _, ns := range cfg.Namespaces {
				checkSearchAttributes(t, srv, ns, want)
			}
		})
	}
}

func TestSearchAttributeOfAnotherTypeIsRefused(t *testing.T) {
	cfg := Config{DBFilename: filepath.Join(t.TempDir(), "temporal.db"), Namespaces: []string{"default"},
		SearchAttributes: map[string]enumspb.IndexedValueType{"TestSA": enumspb.INDEXED_VALUE_TYPE_TEXT}}
	startServer(t, cfg).Stop()
	cfg.SearchAttributes = map[string]enumspb.IndexedValueType{"TestSA": enumspb.INDEXED_VALUE_TYPE_BOOL}
	port, err := freePort(loopback)
	if err != nil {
		t.Fatal(err)
	}
	cfg.IP, cfg.Port, cfg.Logger = loopback, port, log.NewNoopLogger()
	srv, err := Start(cfg)
	if err == nil {
		srv.Stop()
		t.Fatal("Start succeeded, want an error naming the search attribute of another type")
	}
	if want := "TestSA of type Text, want Bool"; !strings.Contains(err.Error(), want) {
		t.Errorf("Start: %v, want it to say %q", err, want)
	}
}

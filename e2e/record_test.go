package e2e

import (
	"context"
	"os"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistory writes the source's current run history to $E2E_RECORD_HISTORY, for the replay
// tests in workflows/testdata. Run: E2E_RECORD_HISTORY=$PWD/workflows/testdata/name.json make test
func recordHistory(t *testing.T, addr, workflowID string) {
	t.Helper()
	path := os.Getenv("E2E_RECORD_HISTORY")
	if path == "" {
		return
	}
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var h historypb.History
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

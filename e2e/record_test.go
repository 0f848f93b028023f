package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistory writes the source's current run history to $E2E_RECORD_HISTORY/<name>.json,
// for the replay tests in workflows/testdata. Run:
// E2E_RECORD_HISTORY=$PWD/workflows/testdata go test -run 'TestSource|TestControl|TestCron' ./e2e/
// and keep the histories of earlier versions: running sources must still replay.
func recordHistory(t *testing.T, addr, workflowID, name string) {
	t.Helper()
	dir := os.Getenv("E2E_RECORD_HISTORY")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name+".json")
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

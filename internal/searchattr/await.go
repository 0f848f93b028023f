package searchattr

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

// AwaitUsable polls a frontend until it takes a visibility query on names in namespace ns: the
// namespace and the search attributes are then in its caches, which a registration reaches a
// little later. It gives up when ctx ends.
func AwaitUsable(ctx context.Context, svc workflowservice.WorkflowServiceClient, ns string, names []string) error {
	conds := make([]string, len(names))
	for i, name := range names {
		conds[i] = name + " IS NULL"
	}
	req := &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns, Query: strings.Join(conds, " OR ")}
	for {
		_, err := svc.CountWorkflowExecutions(ctx, req)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes of namespace %q: not usable: %w", ns, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

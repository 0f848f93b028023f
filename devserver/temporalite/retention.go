package temporalite

import (
	"context"
	"fmt"
	"time"

	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

// DefaultRetention is how long the devserver's namespaces keep a closed run (a source's run
// that continued as new, or a stopped source), as Temporal's dev server does.
const DefaultRetention = 24 * time.Hour

// MinRetention is the shortest retention Temporal allows a local namespace
// (system.namespaceMinRetentionLocal); MaxRetention is ours, a leap year.
const (
	MinRetention = time.Hour
	MaxRetention = 8784 * time.Hour
)

// setRetention gives every namespace the retention, through the frontend, where it has another:
// a namespace of a file made with another retention. The history service deletes each closed
// run that long after it closed, and SQLite reuses the freed pages, so the retention bounds how
// far the file grows.
func setRetention(conn *grpc.ClientConn, namespaces []string, retention time.Duration) error {
	c := workflowservice.NewWorkflowServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), registerTimeout)
	defer cancel()
	for _, ns := range namespaces {
		resp, err := c.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
		if err != nil {
			return fmt.Errorf("describe namespace %q: %w", ns, err)
		}
		if resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == retention {
			continue
		}
		if _, err := c.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{Namespace: ns,
			Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)}}); err != nil {
			return fmt.Errorf("set the retention of namespace %q: %w", ns, err)
		}
	}
	return nil
}

// configureNamespaces gives the namespaces, through the frontend at addr, the search attributes
// and the retention of cfg.
func configureNamespaces(addr string, cfg Config) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("connect to the frontend: %w", err)
	}
	defer conn.Close()
	if err := registerSearchAttributes(conn, cfg.Namespaces, cfg.SearchAttributes); err != nil {
		return fmt.Errorf("register search attributes: %w", err)
	}
	return setRetention(conn, cfg.Namespaces, cfg.retention())
}

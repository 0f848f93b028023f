package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hello-cron/cronsource/internal/searchattr"
)

// options are cluster-setup's flags.
type options struct {
	namespace string
	retention time.Duration
	timeout   time.Duration
}

func newCommand(stderr io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "cluster-setup [flags] ADDRESS...",
		Short: "Wait for every node of a Temporal cluster, then make sure the namespace and our search attributes exist on all of them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, addrs []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			return setup(ctx, addrs, o, stderr)
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetErr(stderr)
	fs := cmd.Flags()
	fs.StringVar(&o.namespace, "namespace", "default", "the namespace to create if it is missing")
	fs.DurationVar(&o.retention, "retention", 72*time.Hour, "the retention of closed workflows of a namespace this creates")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long to wait for the nodes")
	return cmd
}

// namespaceCacheRefresh is Temporal's system.namespaceCacheRefreshInterval (its default, which
// deploy/temporal/dynamicconfig.yaml keeps): every service rereads the namespaces, and with them
// their search attributes, this often.
const namespaceCacheRefresh = 2 * time.Second

// setup dials every address, creates the namespace and adds the missing search attributes
// through the first, then waits until each frontend takes a query on them. When it changed
// anything, it waits one more namespace cache refresh for the history services, which a client
// cannot ask, so that a source's first upsert of a search attribute does not fail.
func setup(ctx context.Context, addrs []string, o options, log io.Writer) error {
	clients := make([]client.Client, len(addrs))
	for i, addr := range addrs {
		c, err := dial(ctx, addr)
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = c
	}
	created, err := ensureNamespace(ctx, clients[0].WorkflowService(), o)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(log, "cluster-setup: created namespace %s\n", o.namespace)
	}
	added, err := ensureSearchAttributes(ctx, clients[0].OperatorService(), o.namespace)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		fmt.Fprintf(log, "cluster-setup: added search attributes %s to namespace %s\n", strings.Join(added, ", "), o.namespace)
	}
	for i, c := range clients {
		if err := searchattr.AwaitUsable(ctx, c.WorkflowService(), o.namespace, slices.Sorted(maps.Keys(searchattr.Types()))); err != nil {
			return fmt.Errorf("node at %s: %w", addrs[i], err)
		}
	}
	if created || len(added) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(namespaceCacheRefresh):
		}
	}
	return nil
}

// dial connects to the frontend at addr, retrying until it answers or ctx ends.
func dial(ctx context.Context, addr string) (client.Client, error) {
	opts := client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := client.DialContext(attempt, opts)
		cancel()
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("node at %s does not serve: %w", addr, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ensureNamespace registers the namespace unless it exists, and reports whether it did.
func ensureNamespace(ctx context.Context, svc workflowservice.WorkflowServiceClient, o options) (bool, error) {
	_, err := svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: o.namespace})
	if err == nil {
		return false, nil
	}
	if _, ok := errors.AsType[*serviceerror.NamespaceNotFound](err); !ok {
		return false, fmt.Errorf("describe namespace %s: %w", o.namespace, err)
	}
	_, err = svc.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        o.namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(o.retention),
	})
	if _, ok := errors.AsType[*serviceerror.NamespaceAlreadyExists](err); ok {
		return false, nil // another setup was quicker
	}
	if err != nil {
		return false, fmt.Errorf("register namespace %s: %w", o.namespace, err)
	}
	return true, nil
}

// ensureSearchAttributes adds those of searchattr.Types that the namespace lacks, and returns
// their names. One of the same name with another type is an error: sources could not set it.
func ensureSearchAttributes(ctx context.Context, svc operatorservice.OperatorServiceClient, ns string) ([]string, error) {
	var resp *operatorservice.ListSearchAttributesResponse
	err := untilNamespaceKnown(ctx, func() (err error) {
		resp, err = svc.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the search attributes of namespace %s: %w", ns, err)
	}
	want := searchattr.Types()
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		switch have, ok := resp.GetCustomAttributes()[name]; {
		case !ok:
			missing[name] = want[name]
		case have != want[name]:
			return nil, fmt.Errorf("namespace %s has search attribute %s of type %s, want %s", ns, name, have, want[name])
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if err := untilNamespaceKnown(ctx, func() error {
		_, err := svc.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: missing})
		return err
	}); err != nil {
		return nil, fmt.Errorf("add search attributes to namespace %s: %w", ns, err)
	}
	return slices.Sorted(maps.Keys(missing)), nil
}

// untilNamespaceKnown calls call until it does not fail with NamespaceNotFound: a namespace that
// was just registered is unknown to a frontend's cache until its next refresh.
func untilNamespaceKnown(ctx context.Context, call func() error) error {
	for {
		err := call()
		if _, ok := errors.AsType[*serviceerror.NamespaceNotFound](err); !ok {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

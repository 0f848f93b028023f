package temporalite

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/dynamicconfig"
	"google.golang.org/grpc"

	"github.com/hello-cron/cronsource/internal/searchattr"
)

// registerTimeout bounds the registration of the search attributes in an existing namespace,
// including the wait for the server's namespace caches.
const registerTimeout = 30 * time.Second

// registerSearchAttributes makes sure every namespace has the custom search attributes, the way
// `temporal operator search-attribute create` does: through the frontend's OperatorService,
// which skips those that exist. A namespace that this start created has them already (the
// database got them with the namespace, as `temporal server start-dev` does), so this only
// adds them to namespaces of a file made before they existed. The server caches namespaces and
// rereads them every system.namespaceCacheRefreshInterval: once it added any, it waits until
// the frontend takes them in a query, and one more refresh for the history service, so that a
// start or an upsert right after the devserver is ready does not fail.
func registerSearchAttributes(conn *grpc.ClientConn, namespaces []string, want map[string]enumspb.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	operator, workflows := operatorservice.NewOperatorServiceClient(conn), workflowservice.NewWorkflowServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), registerTimeout)
	defer cancel()
	var added []string
	for _, ns := range namespaces {
		resp, err := operator.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err != nil {
			return fmt.Errorf("list the search attributes of namespace %q: %w", ns, err)
		}
		missing := map[string]enumspb.IndexedValueType{}
		for _, name := range slices.Sorted(maps.Keys(want)) {
			switch have, ok := resp.GetCustomAttributes()[name]; {
			case !ok:
				missing[name] = want[name]
			case have != want[name]:
				return fmt.Errorf("namespace %q has search attribute %s of type %s, want %s", ns, name, have, want[name])
			}
		}
		if len(missing) == 0 {
			continue
		}
		if _, err := operator.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: ns, SearchAttributes: missing,
		}); err != nil {
			return fmt.Errorf("add search attributes to namespace %q: %w", ns, err)
		}
		added = append(added, ns)
	}
	for _, ns := range added {
		if err := searchattr.AwaitUsable(ctx, workflows, ns, slices.Sorted(maps.Keys(want))); err != nil {
			return err
		}
	}
	if len(added) > 0 {
		time.Sleep(dynamicconfig.NamespaceCacheRefreshInterval.Get(dynamicconfig.NewNoopCollection())())
	}
	return nil
}

package cluster_test

// What the tests do through Temporal's APIs: dial a node, ask it about the membership rings, and
// run workflows through it.

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/api/adminservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// dial connects the SDK to the node at addr.
func dial(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

func quietLogger() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

func operatorListRequest() *operatorservice.ListSearchAttributesRequest {
	return &operatorservice.ListSearchAttributesRequest{Namespace: "default"}
}

// awaitMembers waits until the node at addr counts n hosts in the ring of every service.
func awaitMembers(t *testing.T, addr string, n int) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := adminservice.NewAdminServiceClient(conn)
	last := "no answer"
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := admin.DescribeCluster(ctx, &adminservice.DescribeClusterRequest{})
		cancel()
		if err == nil {
			ok, rings := len(resp.GetMembershipInfo().GetRings()) == 4, []string{}
			for _, ring := range resp.GetMembershipInfo().GetRings() {
				ok = ok && int(ring.GetMemberCount()) == n
				rings = append(rings, fmt.Sprintf("%s: %d", ring.GetRole(), ring.GetMemberCount()))
			}
			if ok {
				return
			}
			last = strings.Join(rings, ", ")
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s: want %d hosts in each service's ring within 60 s, last %s", addr, n, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const taskQueue = "cluster-smoke"

var smokeOptions = workflow.RegisterOptions{Name: "cluster-smoke"}

// smoke sleeps on a timer, so that a run goes through the history service's timer and transfer
// queues, and matching, of whichever shard it lands on.
func smoke(ctx workflow.Context, in string) (string, error) {
	if err := workflow.Sleep(ctx, 10*time.Millisecond); err != nil {
		return "", err
	}
	return in, nil
}

// runWorkflows starts n smoke workflows through c, on ids that spread them over the shards, and
// waits for each to complete within the given time. It retries what fails on the way, as a
// client of a cluster that is moving shards would; only the deadline fails the test.
func runWorkflows(t *testing.T, c client.Client, phase string, n int, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("smoke-%s-%d-%d", phase, i, time.Now().UnixNano())
			for {
				var out string
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
					ID: id, TaskQueue: taskQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
				}, smokeOptions.Name, id)
				if err == nil {
					err = run.Get(ctx, &out)
				}
				if err == nil && out != id {
					err = fmt.Errorf("returned %q", out)
				}
				if err == nil || ctx.Err() != nil {
					errs[i] = err
					return
				}
				errs[i] = err
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("phase %s: workflow %d not completed within %v: %v", phase, i, within, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

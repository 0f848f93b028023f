package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

// TestGroupKeepsASlowSinkApart runs a group of three sources every second, one of them with a
// sink of its own that, for 30 s, answers each event only after 15 s (the worker's HTTP timeout
// raised to 25 s, so that only the batch's budget cuts it). The other two must go on: their
// sink sees at most one gap of more than 5 s (the batch that waited its 10 s budget for the
// slow sink), none longer than the budget and a little. The slow source's ticks then go alone, as
// regular activities, through the group's continues-as-new, and back into the batches once its
// sink answers at once again. Every source's stream stays whole: every tick from 1 on, once
// per sequence with one id.
func TestGroupKeepsASlowSinkApart(t *testing.T) {
	rec, slow := newRecorder(t), newRecorder(t)
	db := filepath.Join(t.TempDir(), "temporal.db")
	dev := startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(freePort(t)))
	addr := readyAddress(t, dev)
	startProc(t, "worker", "--address", addr, "--sink", rec.URL, "--delivery-timeout", "25s")
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	in := workflows.GroupInput{ContinueAsNewAfter: 10}
	for _, id := range []string{"a", "b", "slow"} {
		cfg := workflows.Config{Cron: "* * * * * *", Source: "urn:group-test:" + id}
		if id == "slow" {
			cfg.Sink = slow.URL
		}
		in.Members = append(in.Members, workflows.Member{ID: id, Config: cfg})
	}
	if _, err := c.ExecuteWorkflow(ctx, workflows.GroupStartOptions("group", "hello-cron"), workflows.CronGroup, in); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 6, time.Minute)
	slow.waitFor(t, 3, time.Minute)

	stallStart := time.Now()
	stallEnd := stallStart.Add(30 * time.Second)
	slow.setAnswer(func(a arrival) answer {
		if a.at.Before(stallEnd) {
			return answer{delay: 15 * time.Second}
		}
		return answer{}
	})
	time.Sleep(20 * time.Second)
	recordHistory(t, addr, "group", "group-v1-alone") // a run in which the slow source's ticks go alone
	if out := mustStarter(t, addr, "describe", "--group", "group", "--workflow-id", "slow"); !strings.Contains(out, "ticks sent alone") {
		t.Errorf("describe of the slow source, its ticks sent alone, says:\n%s", out)
	}
	time.Sleep(time.Until(stallEnd))
	// The slow source catches up, answered at once, and the group continues as new twice.
	time.Sleep(40 * time.Second)
	statuses := memberStatuses(t, c, "a", "b", "slow")
	alone := deliverActivities(t, c)
	if err := c.TerminateWorkflow(ctx, "group", "", "test done"); err != nil {
		t.Fatal(err)
	}

	bySource := map[string][]cloudevents.Event{}
	for _, e := range append(rec.events(), slow.events()...) {
		bySource[e.Source()] = append(bySource[e.Source()], e)
	}
	for _, id := range []string{"a", "b", "slow"} {
		t.Run(id, func(t *testing.T) {
			events := bySource["urn:group-test:"+id]
			checkStream(t, events, time.Second)
			if st := statuses[id]; st.Sequence < 60 || st.Delivered != st.Sequence {
				t.Errorf("status: sequence %d, delivered %d; want at least 60, all delivered", st.Sequence, st.Delivered)
			}
		})
	}
	for _, id := range []string{"a", "b"} {
		var long []time.Duration
		var at []time.Time
		for _, a := range rec.all() {
			if a.event != nil && a.event.Source() == "urn:group-test:"+id && a.at.After(stallStart) && a.at.Before(stallEnd.Add(10*time.Second)) {
				at = append(at, a.at)
			}
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap > 5*time.Second {
				long = append(long, gap.Round(10*time.Millisecond))
			}
		}
		t.Logf("%s: gaps of more than 5 s while the other sink was slow: %v", id, long)
		if len(long) > 1 || slices.ContainsFunc(long, func(d time.Duration) bool { return d > contract.BatchBudget+2*time.Second }) {
			t.Errorf("%s's sink saw gaps of %v while the other sink was slow; want at most one, of at most the batch's budget, %v",
				id, long, contract.BatchBudget)
		}
	}
	t.Logf("Deliver activities in each run: %v", alone)
	if n := alone[len(alone)-1]; n != 0 || slices.Max(alone) == 0 {
		t.Errorf("Deliver activities in each of the group's runs, oldest first: %v; want some while the sink was slow, none in the last", alone)
	}
}

// deliverActivities counts, in each run of the group's workflow, oldest first, the regular
// Deliver activities that it scheduled: a tick sent alone or retried.
func deliverActivities(t *testing.T, c client.Client) []int {
	t.Helper()
	ctx := context.Background()
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = 'group'", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	executions := resp.GetExecutions()
	slices.SortFunc(executions, func(a, b *workflowpb.WorkflowExecutionInfo) int {
		return a.GetStartTime().AsTime().Compare(b.GetStartTime().AsTime())
	})
	var counts []int
	for _, e := range executions {
		n := 0
		it := c.GetWorkflowHistory(ctx, "group", e.GetExecution().GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == contract.DeliverActivity {
				n++
			}
		}
		counts = append(counts, n)
	}
	if len(counts) == 0 {
		t.Fatal("no run of the group found")
	}
	return counts
}

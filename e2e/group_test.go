package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/workflows"
)

// TestGroupAcrossKills runs a group of sources on the same every-second cron spec, through a
// join, a pause, continues-as-new, a kill -9 of the worker and one of the devserver, and checks
// each member's stream at the sink: every tick from 1 on, once per sequence with one id, one
// second apart, and no id shared by two members.
func TestGroupAcrossKills(t *testing.T) {
	rec := newRecorder(t)
	db := filepath.Join(t.TempDir(), "temporal.db")
	port := freePort(t)
	dev := startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	addr := readyAddress(t, dev)
	worker := startProc(t, "worker", "--address", addr, "--sink", rec.URL)
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	member := func(id string) workflows.Config {
		return workflows.Config{Cron: "* * * * * *", Source: "urn:group-test:" + id}
	}
	in := workflows.GroupInput{ContinueAsNewAfter: 10} // a continue-as-new every few seconds
	for _, id := range []string{"a", "b", "c"} {
		in.Members = append(in.Members, workflows.Member{ID: id, Config: member(id)})
	}
	if _, err := c.ExecuteWorkflow(ctx, workflows.GroupStartOptions("group", "hello-cron"), workflows.CronGroup, in); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 9, 60*time.Second)
	update(t, c, workflows.UpdateJoin, workflows.JoinRequest{ID: "d", Config: member("d")})
	update(t, c, workflows.UpdatePause, "b", workflows.PauseRequest{Reason: "test"})
	before := len(rec.events())
	rec.waitFor(t, before+6, 60*time.Second)
	update(t, c, workflows.UpdateResume, "b")
	rec.waitFor(t, len(rec.events())+3, 60*time.Second)
	recordHistory(t, addr, "group", "group-v1-controls") // the first run, usually: a join, a pause and a resume

	kill9(t, worker)
	time.Sleep(2 * time.Second)
	worker = startProc(t, "worker", "--address", addr, "--sink", rec.URL)
	before = len(rec.events())
	rec.waitFor(t, before+12, 60*time.Second)

	kill9(t, dev)
	dev = startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	before = len(rec.events())
	rec.waitFor(t, before+12, 90*time.Second)
	recordHistory(t, addr, "group", "group-v1")
	d, err := c.DescribeWorkflowExecution(ctx, "group", "")
	if err != nil {
		t.Fatal(err)
	}
	if info := d.GetWorkflowExecutionInfo(); info.GetExecution().GetRunId() == info.GetFirstRunId() {
		t.Errorf("the group is still on its first run: it never continued as new")
	}
	statuses := memberStatuses(t, c, "a", "b", "c", "d")
	stopProc(t, worker)
	stopProc(t, dev)

	bySource := map[string][]cloudevents.Event{}
	ids := map[string]string{}
	for _, e := range rec.events() {
		bySource[e.Source()] = append(bySource[e.Source()], e)
		if other, ok := ids[e.ID()]; ok && other != e.Source() {
			t.Errorf("id %s sent by %s and %s", e.ID(), other, e.Source())
		}
		ids[e.ID()] = e.Source()
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		events := bySource["urn:group-test:"+id]
		if len(events) < 5 {
			t.Errorf("member %s sent %d events", id, len(events))
		}
		t.Run(id, func(t *testing.T) {
			checkStream(t, events, time.Second)
			st := statuses[id]
			if st.WorkflowID != id || st.Sequence < 5 || st.Delivered != st.Sequence {
				t.Errorf("status: member %q, sequence %d, delivered %d", st.WorkflowID, st.Sequence, st.Delivered)
			}
			if last := seqOf(events[len(events)-1]); int64(last) < st.Sequence {
				t.Errorf("the status says tick %d was delivered; the sink's last is %d", st.Sequence, last)
			}
		})
	}
	if n := len(bySource); n != 4 {
		t.Errorf("events from %d sources, want 4: %v", n, strings.Join(mapKeys(bySource), ", "))
	}
}

// update sends an update to the group and fails the test if it is refused or fails.
func update(t *testing.T, c client.Client, name string, args ...any) {
	t.Helper()
	h, err := c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: "group",
		UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(context.Background(), nil)
	}
	if err != nil {
		t.Fatalf("update %s %v: %v", name, args, err)
	}
}

func mapKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// memberStatuses queries the group for the status of each member in ids.
func memberStatuses(t *testing.T, c client.Client, ids ...string) map[string]workflows.Status {
	t.Helper()
	statuses := map[string]workflows.Status{}
	for _, id := range ids {
		v, err := c.QueryWorkflow(context.Background(), "group", "", workflows.QueryStatus, id)
		var st workflows.Status
		if err == nil {
			err = v.Get(&st)
		}
		if err != nil {
			t.Fatalf("status of member %s: %v", id, err)
		}
		statuses[id] = st
	}
	return statuses
}

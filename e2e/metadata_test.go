package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// dialSDK is a plain SDK client, standing in for Temporal's own tools.
func dialSDK(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

// userMetadata is what `temporal workflow describe` shows as the summary and details of a
// source's current run, decoded; empty when the run has none.
func userMetadata(t *testing.T, c client.Client, id string) (summary, details string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatalf("describe %s: %v", id, err)
	}
	md := desc.GetExecutionConfig().GetUserMetadata()
	return decodeString(t, md.GetSummary()), decodeString(t, md.GetDetails())
}

func decodeString(t *testing.T, p *commonpb.Payload) string {
	t.Helper()
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		t.Fatalf("decode %v: %v", p, err)
	}
	return s
}

// currentDetails asks a source for its current details, as the Web UI and `temporal workflow
// describe` do, through the SDK's built-in metadata query.
func currentDetails(t *testing.T, c client.Client, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(ctx, id, "", "__temporal_workflow_metadata")
	if err != nil {
		t.Fatalf("query the metadata of %s: %v", id, err)
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		t.Fatalf("decode the metadata of %s: %v", id, err)
	}
	return md.GetCurrentDetails()
}

var lastSequence = regexp.MustCompile(`- last sequence: (\d+)\n`)

func sequenceIn(t *testing.T, details string) int {
	t.Helper()
	m := lastSequence.FindStringSubmatch(details)
	if m == nil {
		t.Fatalf("no last sequence in the current details:\n%s", details)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// listed runs a visibility query and returns the workflow ids it finds.
func listed(t *testing.T, c client.Client, query string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	if err != nil {
		t.Fatalf("list %q: %v", query, err)
	}
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	return ids
}

// TestTemporalToolsShowTheSource starts a source with the starter and reads it back the way
// Temporal's tools do, with no client of ours: the static summary and details of the start,
// the current details as it runs, and the search attributes that visibility queries and
// `starter list --paused` filter on. The sink's credential shows by name only.
func TestTemporalToolsShowTheSource(t *testing.T) {
	sink := newRecorder(t)
	addr := startDevserver(t)
	startProc(t, "worker", "--address", addr, "--sink-credentials", credentialsDir(t, sink.URL, "cron", "s3cret"))
	const id = "described"
	noSecret := func(what, s string) {
		t.Helper()
		if strings.Contains(s, "s3cret") {
			t.Errorf("%s shows the sink's password:\n%s", what, s)
		}
	}

	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s", "--sink", sink.URL, "--sink-credential", "events-auth")
	c := dialSDK(t, addr) // the starter waited for the devserver
	sink.waitFor(t, 2, time.Minute)

	summary, details := userMetadata(t, c, id)
	wantSummary := "cron source every 1s → " + sink.URL + " (com.hello.cron-event from urn:hello-com:cron-source)"
	if summary != wantSummary {
		t.Errorf("summary %q, want %q", summary, wantSummary)
	}
	for _, w := range []string{"- schedule: every 1s\n", "- sink: " + sink.URL + " (credential events-auth)\n", "- catch-up: all\n"} {
		if !strings.Contains(details, w) {
			t.Errorf("details lack %q:\n%s", w, details)
		}
	}
	noSecret("summary", summary)
	noSecret("details", details)
	t.Logf("summary: %s\ndetails:\n%s", summary, details)

	first := currentDetails(t, c, id)
	if !strings.HasPrefix(first, wantSummary+"\n\n") || !strings.Contains(first, "- state: **running**\n") {
		t.Errorf("current details:\n%s\nwant the summary line, then running", first)
	}
	eventually(t, "the last sequence in the current details grows", 30*time.Second, func() bool {
		return sequenceIn(t, currentDetails(t, c, id)) >= sequenceIn(t, first)+2
	})
	noSecret("current details", first)
	t.Logf("current details:\n%s", first)

	// Search attributes: set at the start, then upserted by pause, update and resume.
	running := fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Running'", id)
	if ids := listed(t, c, running+" AND CronSourceSchedule = 'every 1s' AND CronSourceSink = '"+sink.URL+"'"); len(ids) != 1 {
		t.Errorf("schedule and sink query found %v, want %s", ids, id)
	}
	if ids := listed(t, c, running+" AND CronSourcePaused = true"); len(ids) != 0 {
		t.Errorf("CronSourcePaused = true found %v before the pause", ids)
	}
	if out, ok := starter(addr, "list", "--paused"); !ok || strings.Contains(out, id) {
		t.Errorf("list --paused before the pause: ok=%v %q", ok, out)
	}
	mustStarter(t, addr, "pause", "--workflow-id", id, "--reason", "maintenance")
	eventually(t, "CronSourcePaused = true finds the paused source", 10*time.Second, func() bool {
		return len(listed(t, c, running+" AND CronSourcePaused = true")) == 1
	})
	if out, ok := starter(addr, "list", "--paused"); !ok || !strings.Contains(out, id) || !strings.Contains(out, "paused (maintenance)") {
		t.Errorf("list --paused while paused: ok=%v %q", ok, out)
	}
	paused := currentDetails(t, c, id)
	if !strings.Contains(paused, "- state: **paused (maintenance)**\n") {
		t.Errorf("current details while paused:\n%s", paused)
	}
	t.Logf("current details while paused:\n%s", paused)
	mustStarter(t, addr, "update", "--workflow-id", id, "--interval", "2s")
	before := len(sink.events())
	mustStarter(t, addr, "resume", "--workflow-id", id)
	eventually(t, "the new schedule and the resume reach visibility", 10*time.Second, func() bool {
		return len(listed(t, c, running+" AND CronSourceSchedule = 'every 2s' AND CronSourcePaused = false")) == 1
	})
	if out, ok := starter(addr, "list", "--paused"); !ok || strings.Contains(out, id) {
		t.Errorf("list --paused after resume: ok=%v %q", ok, out)
	}
	if d := currentDetails(t, c, id); !strings.HasPrefix(d, "cron source every 2s → ") {
		t.Errorf("current details after the update:\n%s\nwant the new schedule in the summary line", d)
	}
	if s, _ := userMetadata(t, c, id); s != wantSummary {
		t.Errorf("summary after the update %q: the start's, %q, stays", s, wantSummary)
	}
	sink.waitFor(t, before+2, 30*time.Second) // ticks after the upserts, for the replay test
	recordHistory(t, addr, id, "source-v5-metadata")
}

// TestContinueAsNewCarriesSearchAttributesNotSummary: a new run keeps the search attributes,
// upserted ones included, and shows the summary line in its current details, but has no static
// summary: Temporal reads that from the start event of the first run only.
func TestContinueAsNewCarriesSearchAttributesNotSummary(t *testing.T) {
	addr, sink := startPipeline(t)
	const id = "carried"

	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "200ms", "--continue-as-new-after", "3")
	c := dialSDK(t, addr)
	sink.waitFor(t, 1, time.Minute)
	if s, _ := userMetadata(t, c, id); s == "" {
		t.Errorf("the run started by the starter has no summary")
	}
	other := sink.URL + "/other"
	mustStarter(t, addr, "update", "--workflow-id", id, "--sink", other)
	ctx := context.Background()
	updated, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "a run after the one that took the update", 30*time.Second, func() bool {
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetExecution().GetRunId() != updated.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	})
	query := fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Running' AND CronSourceSink = '%s' AND CronSourceSchedule = 'every 200ms'", id, other)
	eventually(t, "the new run has the upserted sink", 10*time.Second, func() bool { return len(listed(t, c, query)) == 1 })
	if s, d := userMetadata(t, c, id); s != "" || d != "" {
		t.Errorf("a continued run has summary %q and details %q: Temporal was expected to keep them on the first run only", s, d)
	}
	want := "cron source every 200ms → " + other + " (com.hello.cron-event from urn:hello-com:cron-source)\n\n"
	if d := currentDetails(t, c, id); !strings.HasPrefix(d, want) {
		t.Errorf("current details of a continued run:\n%s\nwant them to start with %q", d, want)
	}
	mustStarter(t, addr, "stop", "--workflow-id", id)
}

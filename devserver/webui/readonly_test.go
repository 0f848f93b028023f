package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/log"

	"github.com/hello-cron/cronsource/devserver/temporalite"
)

const taskQueue = "webui-test"

// held runs until it is ended from outside, and answers the query "state".
func held(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, "state", func() (string, error) { return "held", nil }); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "never").Receive(ctx, nil)
	return nil
}

// startTemporal runs an in-memory Temporal server with a worker for held, and returns a client.
func startTemporal(t *testing.T) (client.Client, string) {
	t.Helper()
	srv, err := temporalite.Start(temporalite.Config{Ephemeral: true, IP: "127.0.0.1", Port: freePort(t),
		Namespaces: []string{"default"}, Logger: log.NewNoopLogger()})
	if err != nil {
		t.Fatalf("start Temporal: %v", err)
	}
	t.Cleanup(srv.Stop)
	c, err := client.Dial(client.Options{HostPort: srv.Addr(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(held, workflow.RegisterOptions{Name: "Held"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return c, srv.Addr()
}

// browser is an HTTP client that, like the UI in a browser, holds the UI's CSRF cookie and sends
// it back in the X-CSRF-Token header.
type browser struct {
	http *http.Client
	ui   string
}

func newBrowser(t *testing.T, ui string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{http: &http.Client{Jar: jar, Timeout: 20 * time.Second}, ui: ui}
	if resp, _ := b.do(t, http.MethodGet, "/", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/: %d", ui, resp.StatusCode)
	}
	return b
}

func (b *browser) do(t *testing.T, method, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.ui+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	u, _ := url.Parse(b.ui)
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == "_csrf" {
			req.Header.Set("X-CSRF-Token", c.Value)
		}
	}
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(got)
}

// status is the workflow's status, or UNSPECIFIED if it does not exist.
func status(t *testing.T, c client.Client, id string) enums.WorkflowExecutionStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	case err != nil:
		t.Fatalf("describe %s: %v", id, err)
	}
	return d.GetWorkflowExecutionInfo().GetStatus()
}

// A write through the UI's HTTP API, sent as the UI's own page sends it, is refused unless
// write actions are on; reads, queries included, work either way.
func TestWriteActionsOnlyWhenTurnedOn(t *testing.T) {
	c, frontend := startTemporal(t)
	const (
		running    = enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		terminated = enums.WORKFLOW_EXECUTION_STATUS_TERMINATED
		absent     = enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	)
	startHeld := fmt.Sprintf(`{"workflowType":{"name":"Held"},"taskQueue":{"name":%q}}`, taskQueue)
	tests := []struct {
		name         string
		writeActions bool
		method, path string
		body         string
		workflow     string // its status is checked after the request; started first unless absent before
		wantCode     int
		wantStatus   enums.WorkflowExecutionStatus
	}{
		{name: "terminate refused", method: http.MethodPost, path: "/workflows/wf-1/terminate", body: `{"reason":"ui"}`,
			workflow: "wf-1", wantCode: http.StatusMethodNotAllowed, wantStatus: running},
		{name: "start with /query/ in the id refused", method: http.MethodPost, path: "/workflows/x%2Fquery%2Fy",
			body: startHeld, workflow: "x/query/y", wantCode: http.StatusForbidden, wantStatus: absent},
		{name: "signal named query/x refused", method: http.MethodPost, path: "/workflows/wf-2/signal/query%2Fx",
			body: `{}`, workflow: "wf-2", wantCode: http.StatusForbidden, wantStatus: running},
		{name: "query allowed", method: http.MethodPost, path: "/workflows/wf-3/query/state", body: `{}`,
			workflow: "wf-3", wantCode: http.StatusOK, wantStatus: running},
		{name: "describe allowed", method: http.MethodGet, path: "/workflows/wf-4",
			workflow: "wf-4", wantCode: http.StatusOK, wantStatus: running},
		{name: "terminate with write actions", writeActions: true, method: http.MethodPost,
			path: "/workflows/wf-5/terminate", body: `{"reason":"ui"}`, workflow: "wf-5", wantCode: http.StatusOK, wantStatus: terminated},
		{name: "start with write actions", writeActions: true, method: http.MethodPost, path: "/workflows/x%2Fquery%2Fz",
			body: startHeld, workflow: "x/query/z", wantCode: http.StatusOK, wantStatus: running},
	}
	uis := map[bool]*browser{}
	for _, writeActions := range []bool{false, true} {
		s, err := Start(Config{IP: "127.0.0.1", Port: freePort(t), Frontend: frontend, WriteActions: writeActions})
		if err != nil {
			t.Fatalf("Start(WriteActions: %v): %v", writeActions, err)
		}
		t.Cleanup(s.Stop)
		uis[writeActions] = newBrowser(t, s.URL())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.workflow, "query") {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: tt.workflow, TaskQueue: taskQueue}, "Held"); err != nil {
					t.Fatal(err)
				}
			}
			resp, body := uis[tt.writeActions].do(t, tt.method, "/api/v1/namespaces/default"+tt.path, tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.wantCode)
			}
			if got := status(t, c, tt.workflow); got != tt.wantStatus {
				t.Errorf("after %s %s: workflow %s is %v, want %v", tt.method, tt.path, tt.workflow, got, tt.wantStatus)
			}
		})
	}
}

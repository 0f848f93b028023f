package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/cmdtest"
)

// TestWebUIListsRunningSource runs a devserver with its Web UI and a source on it, then asks
// the UI for its page and, through the UI's HTTP API, for the source's workflow.
func TestWebUIListsRunningSource(t *testing.T) {
	rec := newRecorder(t)
	port, uiPort := freePort(t), freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ui := fmt.Sprintf("http://127.0.0.1:%d", uiPort)

	dev := startProc(t, "devserver", "--db-filename", filepath.Join(t.TempDir(), "temporal.db"),
		"--port", fmt.Sprint(port), "--ui-port", fmt.Sprint(uiPort))
	ready := waitOutput(t, dev, "devserver ready:")
	if want := "Temporal at " + addr + ","; !strings.Contains(ready, want) {
		t.Errorf("ready line %q does not say %q", ready, want)
	}
	if want := ", Web UI at " + ui; !strings.HasSuffix(ready, want) {
		t.Errorf("ready line %q does not end with %q", ready, want)
	}
	startProc(t, "worker", "--address", addr, "--sink", rec.URL)
	mustStarter(t, addr, "start", "--workflow-id", "ui-source", "--interval", "1s")
	rec.waitFor(t, 1, 60*time.Second) // the source runs

	resp, page := cmdtest.Get(t, ui+"/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(strings.ToLower(page), "<!doctype html>") {
		t.Errorf("GET %s/: %d %q, body starts %q; want 200 and the UI's HTML page",
			ui, resp.StatusCode, resp.Header.Get("Content-Type"), page[:min(len(page), 80)])
	}

	list := ui + "/api/v1/namespaces/default/workflows?query=" + url.QueryEscape(`WorkflowId="ui-source"`)
	var status, body string
	defer func() { // runs on the Fatal too
		if status != "WORKFLOW_EXECUTION_STATUS_RUNNING" {
			t.Logf("GET %s: last status %q, body %s", list, status, body)
		}
	}()
	eventually(t, "the UI lists ui-source as running", 30*time.Second, func() bool {
		status, body = listedStatus(t, list, "ui-source")
		return status == "WORKFLOW_EXECUTION_STATUS_RUNNING"
	})

	stopProc(t, dev)
	if out := procOutput(t, dev); !strings.Contains(out, "devserver stopped") {
		t.Errorf("devserver output after SIGTERM has no 'devserver stopped':\n%s", out)
	}
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(ui + "/"); err == nil {
		t.Errorf("GET %s/ still answers after the devserver stopped", ui)
	}
}

// TestHeadlessServesNoUI holds the default UI port (--port + 1000) itself: a --headless
// devserver must start all the same, where one without it fails on --ui-port, and say nothing of
// a UI.
func TestHeadlessServesNoUI(t *testing.T) {
	port := portWithUIPortHeld(t)
	// Without --headless the same start fails: the default UI port is held.
	out, err := exec.Command(filepath.Join(binDir, "devserver"), "--ephemeral", "--port", fmt.Sprint(port)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "invalid --ui-port") {
		t.Fatalf("devserver without --headless, UI port held: %v %q; want an error naming --ui-port", err, out)
	}
	dev := startProc(t, "devserver", "--ephemeral", "--port", fmt.Sprint(port), "--headless")
	ready := waitOutput(t, dev, "devserver ready:")
	if want := fmt.Sprintf("Temporal at 127.0.0.1:%d,", port); !strings.Contains(ready, want) {
		t.Errorf("ready line %q does not say %q", ready, want)
	}
	if strings.Contains(ready, "Web UI") {
		t.Errorf("ready line %q mentions a Web UI under --headless", ready)
	}
	stopProc(t, dev)
}

// portWithUIPortHeld is a free port whose default UI port (+ 1000) the test holds until it ends.
func portWithUIPortHeld(t *testing.T) int {
	t.Helper()
	for range 20 {
		port := freePort(t)
		if port+1000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1000))
		if err != nil {
			continue
		}
		t.Cleanup(func() { l.Close() })
		return port
	}
	t.Fatal("found no free port whose port + 1000 is free too")
	return 0
}

// listedStatus is the status of workflow id in the UI's list answer at url, and the answer.
func listedStatus(t *testing.T, url, id string) (string, string) {
	t.Helper()
	resp, body := cmdtest.Get(t, url)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Sprintf("%d %s", resp.StatusCode, body)
	}
	var list struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
			Status string `json:"status"`
		} `json:"executions"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	for _, e := range list.Executions {
		if e.Execution.WorkflowID == id {
			return e.Status, body
		}
	}
	return "", body
}

// procOutput is what a process of startProc has written so far.
func procOutput(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	b, err := os.ReadFile(cmd.Stdout.(*os.File).Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitOutput waits for a line of the process's output that contains s, and returns it.
func waitOutput(t *testing.T, cmd *exec.Cmd, s string) string {
	t.Helper()
	var found string
	eventually(t, fmt.Sprintf("%s writes a line with %q", cmd.Path, s), 60*time.Second, func() bool {
		for _, line := range strings.Split(procOutput(t, cmd), "\n") {
			if strings.Contains(line, s) {
				found = line
				return true
			}
		}
		return false
	})
	return found
}

// TestDevserverWarnsWhenItListensBeyondLoopback: a devserver on every interface says, in one
// line, that anyone who reaches it controls the sources; one on loopback says nothing of it.
func TestDevserverWarnsWhenItListensBeyondLoopback(t *testing.T) {
	const warning = "with no TLS and no authentication"
	for _, tt := range []struct {
		ip   string
		warn bool
	}{{"0.0.0.0", true}, {"127.0.0.1", false}} {
		t.Run(tt.ip, func(t *testing.T) {
			dev := startProc(t, "devserver", "--ephemeral", "--ip", tt.ip, "--port", fmt.Sprint(freePort(t)))
			waitOutput(t, dev, "devserver ready:")
			var lines []string
			for _, line := range strings.Split(procOutput(t, dev), "\n") {
				if strings.Contains(line, warning) {
					lines = append(lines, line)
				}
			}
			switch {
			case tt.warn && (len(lines) != 1 || !strings.Contains(lines[0], "--ip "+tt.ip) || !strings.Contains(lines[0], `"level":"warn"`)):
				t.Errorf("want one warn line naming --ip %s, got %q", tt.ip, lines)
			case !tt.warn && len(lines) != 0:
				t.Errorf("warned on loopback: %q", lines)
			}
		})
	}
}

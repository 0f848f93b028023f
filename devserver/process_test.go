package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/internal/cli"
	"github.com/hello-cron/cronsource/internal/cmdtest"
)

// childArgs, set in a child's environment, makes this test binary the devserver with these
// arguments (JSON), so tests run it as its own process, as `make run` and the e2e tests do.
const childArgs = "DEVSERVER_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(childArgs); ok {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			panic(err)
		}
		cmd := newCommand(os.Stdout, os.Stderr)
		cmd.SetArgs(args)
		cli.Main("devserver", cmd)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func childCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgs+"="+string(b))
	return cmd
}

// runDevserver runs the devserver to its end and returns its stdout, its stderr and its
// exit code.
func runDevserver(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := childCommand(t, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("devserver %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), 0
}

// server is a devserver running as a child process.
type server struct {
	cmd            *exec.Cmd
	args           []string
	stdout, stderr *cmdtest.SyncBuffer
	exited         chan struct{} // closed once it has exited and its output is read
}

// startDevserver starts a devserver, waits for its ready line, and stops it when the test
// ends unless the test has stopped it first.
func startDevserver(t *testing.T, args ...string) *server {
	t.Helper()
	s := launchDevserver(t, args...)
	s.waitReady(t)
	return s
}

// launchDevserver starts a devserver, without waiting for it to be ready, and stops it when
// the test ends unless the test has stopped it first.
func launchDevserver(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{cmd: childCommand(t, args...), args: args, stdout: new(cmdtest.SyncBuffer), stderr: new(cmdtest.SyncBuffer)}
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// waitReady waits for the devserver's ready line.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(s.stdout.String(), "devserver ready:") {
		select {
		case <-s.exited:
			t.Fatalf("devserver %v ended before it was ready: %s", s.args, s.stderr)
		case <-deadline:
			t.Fatalf("devserver %v not ready within 60 s: %s", s.args, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readyLine matches the ready line: "devserver ready: Temporal at 127.0.0.1:7233, namespaces
// default, database .data/temporal.db[, Web UI at http://127.0.0.1:8233]".
var readyLine = regexp.MustCompile(`(?m)^devserver ready: Temporal at (\S+), namespaces \S+, database .*?(?:, Web UI at (\S+))?$`)

// addr is the frontend's host:port as the ready line shows it.
func (s *server) addr(t *testing.T) string {
	t.Helper()
	return s.ready(t)[1]
}

// uiURL is the Web UI's URL as the ready line shows it.
func (s *server) uiURL(t *testing.T) string {
	t.Helper()
	url := s.ready(t)[2]
	if url == "" {
		t.Fatalf("devserver %v shows no Web UI: %q", s.args, s.stdout)
	}
	return url
}

func (s *server) ready(t *testing.T) []string {
	t.Helper()
	m := readyLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("devserver %v: no ready line in %q", s.args, s.stdout)
	}
	return m
}

// stop ends the devserver as Ctrl-C does and waits for it to exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if !s.cmd.ProcessState.Success() {
			t.Errorf("devserver: %v: %s", s.cmd.ProcessState, s.stderr)
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("devserver did not stop within 30 s of SIGTERM")
	}
}

// kill ends the devserver with SIGKILL, as a crash would, and waits for it to exit.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
}

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// composeTools are the compose commands the project supports, as argv prefixes.
func composeTools() map[string][]string {
	return map[string][]string{
		"docker compose": {"docker", "compose"},
		"docker-compose": {"docker-compose"},
	}
}

// TestCompose runs docker-compose.yml with the images of `make images` on the local Docker
// engine, once per compose tool found: events flow, `kill worker` then `start worker` loses
// nothing, and `down` then `up` resumes the sequence from the volume.
func TestCompose(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the compose test builds images and runs containers")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine answers (docker info: %v: %s)", err, strings.TrimSpace(string(out)))
	}
	images := exec.Command("make", "-C", "..", "images")
	if out, err := images.CombinedOutput(); err != nil {
		t.Fatalf("make images: %v\n%s", err, out)
	}
	ran := 0
	for name, argv := range composeTools() {
		t.Run(name, func(t *testing.T) {
			if out, err := exec.Command(argv[0], append(argv[1:], "version")...).CombinedOutput(); err != nil {
				t.Skipf("%s is not installed here (%v: %s)", name, err, firstLine(string(out)))
			}
			ran++
			runCompose(t, argv)
		})
	}
	if ran == 0 {
		t.Fatal("neither docker compose nor docker-compose is installed, but a Docker engine is")
	}
}

func runCompose(t *testing.T, argv []string) {
	project := fmt.Sprintf("hello-cron-e2e-%d", os.Getpid())
	uiPort := freePort(t)
	env := append(os.Environ(),
		"TEMPORAL_PORT="+strconv.Itoa(freePort(t)), "TEMPORAL_UI_PORT="+strconv.Itoa(uiPort), "EVENTS_PORT="+strconv.Itoa(freePort(t)))
	compose := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(argv[0], append(append(argv[1:], "-p", project, "-f", filepath.Join("..", "docker-compose.yml")), args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", strings.Join(argv, " "), args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("compose logs:\n%s", lastLines(compose("logs", "--no-color"), 40))
		}
		compose("down", "-v", "--remove-orphans")
	})

	compose("up", "-d")
	received := func() []int { return sequencesIn(compose("logs", "--no-color", "events-service")) }
	eventually(t, "3 events in the events-service logs", 2*time.Minute, func() bool { return len(received()) >= 3 })
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/", uiPort), http.StatusOK) // the Web UI, published
	// Published on loopback only, unless PUBLISH_IP says otherwise: the devserver has no TLS
	// and no authentication.
	for _, p := range [][2]string{{"temporal", "7233"}, {"temporal", "8233"}, {"events-service", "8080"}} {
		if got := strings.TrimSpace(compose("port", p[0], p[1])); !strings.HasPrefix(got, "127.0.0.1:") {
			t.Errorf("%s port %s is published on %q, want 127.0.0.1 only", p[0], p[1], got)
		}
	}

	compose("kill", "worker")
	killed := len(received())
	time.Sleep(6 * time.Second) // the fault: a tick or more comes due while no worker runs
	compose("start", "worker")
	eventually(t, "events again after the worker restarts", 2*time.Minute, func() bool { return len(received()) >= killed+3 })

	// The worker stops first, so that the events-service, whose logs go with its container, has
	// logged the last tick sent before the stack goes down.
	compose("stop", "worker")
	first := received()
	checkNoGap(t, "before down", first, 1)

	compose("down") // keeps the named volume
	compose("up", "-d")
	last := first[len(first)-1]
	var after []int
	eventually(t, "events again after down and up", 2*time.Minute, func() bool {
		after = received() // the new events-service container logs from scratch
		return len(after) >= 2 && after[len(after)-1] > last
	})
	// The first event after up may repeat the last one (the new events-service does not
	// remember it), never skip past it or start over.
	if after[0] > last+1 || after[0] < last {
		t.Errorf("after down and up the sequence went on at %d; the last before was %d", after[0], last)
	}
	checkNoGap(t, "after up", after, after[0])
	t.Logf("sequences %d..%d before down, then %v", first[0], last, after)
}

// checkNoGap: seqs are from, from+1, from+2, …
func checkNoGap(t *testing.T, when string, seqs []int, from int) {
	t.Helper()
	for i, seq := range seqs {
		if seq != from+i {
			t.Fatalf("%s: sequence %d where %d was due: %v", when, seq, from+i, seqs)
		}
	}
}

// sequencesIn parses the events-service JSON log lines and returns the sequence of every
// "event received", in order. Duplicates were answered without being processed, so they do not
// appear; a gap means a lost tick.
func sequencesIn(logs string) []int {
	var seqs []int
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "{")
		if i < 0 {
			continue
		}
		var entry struct {
			Msg      string `json:"msg"`
			Sequence string `json:"sequence"`
		}
		if json.Unmarshal([]byte(line[i:]), &entry) != nil || entry.Msg != "event received" {
			continue
		}
		if n, err := strconv.Atoi(entry.Sequence); err == nil {
			seqs = append(seqs, n)
		}
	}
	return seqs
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

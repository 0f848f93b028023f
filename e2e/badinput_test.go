package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInputExitsWithOneLine runs each binary with a bad flag or variable: it must exit
// non-zero with one line naming the flag or variable at fault, and show no secret.
func TestBadInputExitsWithOneLine(t *testing.T) {
	tests := []struct {
		bin  string
		args []string
		env  []string
		want string
	}{
		{"devserver", []string{"--port", "-1"}, nil, "--port"}, // 0 picks a free port
		{"devserver", []string{"--ip", "nope"}, nil, "--ip"},
		{"devserver", []string{"--db-filename", "/dev/null/x.db", "--headless"}, nil, "--db-filename"},
		{"devserver", []string{"--ephemeral", "--db-filename", "x.db"}, nil, "--db-filename"},
		{"devserver", []string{"--timer-shift", "0s"}, nil, "--timer-shift"},
		{"devserver", []string{"--ui-port", "-1"}, nil, "--ui-port"},
		{"devserver", []string{"--ui-port", "70000"}, nil, "--ui-port"},
		{"devserver", []string{"--port", "7233", "--ui-port", "7233"}, nil, "--ui-port"},
		{"devserver", []string{"--port", "65000"}, nil, "--ui-port"}, // default --port + 1000
		{"devserver", []string{"--headless", "--ui-port", "9000"}, nil, "--ui-port"},
		{"devserver", []string{"--port", fmt.Sprint(freePort(t)), "--ui-port", fmt.Sprint(busyPort(t))}, nil, "--ui-port"},
		{"worker", []string{"--sink", "events:8080"}, nil, "--sink"},
		{"worker", nil, []string{"K_SINK=ftp://x"}, "K_SINK"},
		{"worker", nil, []string{"K_CE_OVERRIDES={\"extensions\":{\"id\":\"x\"}}"}, "K_CE_OVERRIDES"},
		{"worker", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"worker", []string{"--delivery-timeout", "30s"}, nil, "--delivery-timeout"},
		{"worker", []string{"--delivery-timeout", "0s"}, nil, "--delivery-timeout"},
		{"worker", []string{"--metrics-addr", "nope"}, nil, "--metrics-addr"},
		{"worker", nil, []string{"OTEL_TRACES_EXPORTER=zipkin"}, "OTEL_TRACES_EXPORTER"},
		{"worker", nil, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"worker", nil, []string{"OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"worker", []string{"--tls-cert", "client.pem"}, nil, "--tls-cert"},
		{"worker", nil, []string{"TEMPORAL_TLS_CA=/nonexistent/ca.pem"}, "TEMPORAL_TLS_CA"},
		{"worker", []string{"--tls-ca", "/nonexistent/ca.pem"}, []string{"TEMPORAL_TLS_CA=/dev/null"}, "--tls-ca"},
		{"worker", nil, []string{"TEMPORAL_TLS_CERT=/nonexistent/client.pem", "TEMPORAL_TLS_KEY=/nonexistent/client.key"}, "TEMPORAL_TLS_CERT"},
		{"worker", nil, []string{"TEMPORAL_API_KEY=sekret\nkey"}, "TEMPORAL_API_KEY"},
		{"starter", []string{"start", "--interval", "50ms"}, nil, "--interval"},
		{"starter", []string{"start", "--sink", "nope"}, nil, "--sink"},
		{"starter", []string{"start", "--reason", "later"}, nil, "--reason"},
		{"starter", []string{"start", "--interval", "soon"}, nil, "--interval"},
		{"starter", []string{"describe", "--output", "xml"}, nil, "--output"},
		{"starter", []string{"start", "--cron", "61 * * * *"}, nil, "--cron"},
		{"starter", []string{"start", "--cron", "@hourly", "--interval", "1m"}, nil, "--cron"},
		{"starter", []string{"start", "--cron", "@hourly", "--timezone", "Mars/Olympus"}, nil, "--timezone"},
		{"starter", []string{"start", "--timezone", "Europe/Paris"}, nil, "--timezone"},
		{"starter", []string{"start", "--interval", "10s", "--jitter", "10s"}, nil, "--jitter"},
		{"starter", []string{"start", "--catchup", "some"}, nil, "--catchup"},
		{"starter", []string{"start", "--catchup-window", "-1s"}, nil, "--catchup-window"},
		{"starter", []string{"start", "--start-at", "tomorrow"}, nil, "--start-at"},
		{"starter", []string{"start", "--start-at", "2030-01-02T00:00:00Z", "--end-at", "2030-01-01T00:00:00Z"}, nil, "--end-at"},
		{"starter", []string{"start", "--max-ticks", "-1"}, nil, "--max-ticks"},
		{"starter", []string{"start", "--dead-letter-sink", "dls:8080"}, nil, "--dead-letter-sink"},
		{"starter", []string{"start", "--data", "{not json"}, nil, "--data"},
		{"starter", []string{"start", "--data", "x", "--data-base64", "eA=="}, nil, "--data-base64"},
		{"starter", []string{"start", "--data-base64", "%%%"}, nil, "--data-base64"},
		{"starter", []string{"start", "--data-content-type", "text/plain"}, nil, "--data-content-type"},
		{"starter", []string{"update", "--interval", "1m", "--cron", "@hourly"}, nil, "--cron"},
		{"starter", []string{"update"}, nil, "nothing to update"},
		{"starter", []string{"start", "--extension", "Team=payments"}, nil, "--extension"},
		{"starter", []string{"update", "--extension", "id=1"}, nil, "--extension"},
		{"starter", []string{"update", "--extension", "team"}, nil, "--extension"},
		{"starter", []string{"list", "--output", "yaml"}, nil, "--output"},
		{"starter", []string{"start", "--tls-cert", "client.pem"}, nil, "--tls-cert"},
		{"starter", []string{"list"}, []string{"TEMPORAL_TLS_KEY=client.key"}, "TEMPORAL_TLS_KEY"},
		{"starter", []string{"list"}, []string{"TEMPORAL_TLS_CA=/nonexistent/ca.pem"}, "TEMPORAL_TLS_CA"},
		{"starter", []string{"describe", "--tls-ca", "/dev/null"}, nil, "--tls-ca"},
		{"starter", []string{"list", "--api-key", "sekret\x01key"}, nil, "--api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.bin+" "+strings.Join(append(tt.args, tt.env...), " "), func(t *testing.T) {
			// A binary that takes the input runs on: it fails the row instead of the suite.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(binDir, tt.bin), tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			cmd.Dir = t.TempDir()
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("still running after 30 s: the input was taken; output %q", out)
			}
			if err == nil {
				t.Fatalf("exit 0, want an error; output %q", out)
			}
			lines := nonEmptyLines(string(out))
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("output %q: want one line naming %s", out, tt.want)
			}
			if strings.Contains(string(out), "sekret") {
				t.Errorf("output %q shows the API key", out)
			}
		})
	}
}

func nonEmptyLines(s string) []string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, sc.Text())
		}
	}
	return lines
}

func TestVersionFlag(t *testing.T) {
	for _, bin := range []string{"devserver", "worker", "starter"} {
		t.Run(bin, func(t *testing.T) {
			out, err := exec.Command(filepath.Join(binDir, bin), "--version").CombinedOutput()
			lines := nonEmptyLines(string(out))
			if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0], bin+" version ") {
				t.Errorf("%s --version: %v %q, want one line %q", bin, err, out, bin+" version ...")
			}
		})
	}
}

package temporalite

import (
	"sync/atomic"
	"testing"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// recorder keeps the level and message of each line logged through it or its With loggers.
type recorder struct{ lines *[]string }

func (r recorder) add(level, msg string)           { *r.lines = append(*r.lines, level+" "+msg) }
func (r recorder) Debug(msg string, _ ...tag.Tag)  { r.add("debug", msg) }
func (r recorder) Info(msg string, _ ...tag.Tag)   { r.add("info", msg) }
func (r recorder) Warn(msg string, _ ...tag.Tag)   { r.add("warn", msg) }
func (r recorder) Error(msg string, _ ...tag.Tag)  { r.add("error", msg) }
func (r recorder) DPanic(msg string, _ ...tag.Tag) { r.add("dpanic", msg) }
func (r recorder) Panic(msg string, _ ...tag.Tag)  { r.add("panic", msg) }
func (r recorder) Fatal(msg string, _ ...tag.Tag)  { r.add("fatal", msg) }
func (r recorder) With(...tag.Tag) log.Logger      { return r }
func (r recorder) Skip(int) log.Logger             { return r }

// The warnings the services log while the devserver stops.
const (
	dialErrorMessage = "network dial error"
	pollFailed       = "Failed to poll for task."
)

func TestStopLoggerQuietsWarningsOnceStopping(t *testing.T) {
	tests := []struct {
		name     string
		stopping bool
		with     bool // log through a logger derived with With, as the services do
		log      func(log.Logger)
		want     string
	}{
		{"dial error while running", false, false, func(l log.Logger) { l.Warn(dialErrorMessage) }, "warn " + dialErrorMessage},
		{"dial error while stopping", true, false, func(l log.Logger) { l.Warn(dialErrorMessage) }, "debug " + dialErrorMessage},
		{"dial error of a service's logger while stopping", true, true, func(l log.Logger) { l.Warn(dialErrorMessage) }, "debug " + dialErrorMessage},
		{"failed poll while stopping", true, true, func(l log.Logger) { l.Warn(pollFailed) }, "debug " + pollFailed},
		{"error while stopping", true, false, func(l log.Logger) { l.Error(dialErrorMessage) }, "error " + dialErrorMessage},
		{"info while stopping", true, false, func(l log.Logger) { l.Info("shard stopped") }, "info shard stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			stopping := new(atomic.Bool)
			l := newStopLogger(recorder{&lines}, stopping)
			if tt.with {
				l = log.With(l, tag.ComponentShardContext)
			}
			stopping.Store(tt.stopping)
			tt.log(l)
			if len(lines) != 1 || lines[0] != tt.want {
				t.Errorf("logged %q, want [%q]", lines, tt.want)
			}
		})
	}
}

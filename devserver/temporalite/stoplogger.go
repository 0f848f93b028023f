package temporalite

import (
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// stopLogger passes everything to the server's logger, except that once the server is
// stopping it logs warnings at debug level. The services stop one after the other, and those
// still running warn that the ones already gone cannot be reached (dial errors, failed polls
// of the server's own workers): expected then, and alarming to read. Errors stay errors.
type stopLogger struct {
	next     log.Logger
	stopping *atomic.Bool
}

func newStopLogger(next log.Logger, stopping *atomic.Bool) log.Logger {
	if s, ok := next.(log.SkipLogger); ok {
		next = s.Skip(1) // report the caller of stopLogger's methods, not stopLogger
	}
	return &stopLogger{next: next, stopping: stopping}
}

func (l *stopLogger) Debug(msg string, tags ...tag.Tag)  { l.next.Debug(msg, tags...) }
func (l *stopLogger) Info(msg string, tags ...tag.Tag)   { l.next.Info(msg, tags...) }
func (l *stopLogger) Error(msg string, tags ...tag.Tag)  { l.next.Error(msg, tags...) }
func (l *stopLogger) DPanic(msg string, tags ...tag.Tag) { l.next.DPanic(msg, tags...) }
func (l *stopLogger) Panic(msg string, tags ...tag.Tag)  { l.next.Panic(msg, tags...) }
func (l *stopLogger) Fatal(msg string, tags ...tag.Tag)  { l.next.Fatal(msg, tags...) }

func (l *stopLogger) Warn(msg string, tags ...tag.Tag) {
	if l.stopping.Load() {
		l.next.Debug(msg, tags...)
		return
	}
	l.next.Warn(msg, tags...)
}

// With keeps the filter on the loggers that the services derive with their own tags.
func (l *stopLogger) With(tags ...tag.Tag) log.Logger {
	return &stopLogger{next: log.With(l.next, tags...), stopping: l.stopping}
}

// Skip keeps the call sites right for the loggers that wrap this one.
func (l *stopLogger) Skip(extraSkip int) log.Logger {
	if s, ok := l.next.(log.SkipLogger); ok {
		return &stopLogger{next: s.Skip(extraSkip), stopping: l.stopping}
	}
	return l
}

package temporalclient

import (
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// sdkLogger writes the Temporal SDK's key-value logs through zap.
type sdkLogger struct{ s *zap.SugaredLogger }

var _ log.WithLogger = sdkLogger{}

// NewLogger adapts a zap logger to the Temporal SDK's log.Logger.
func NewLogger(l *zap.Logger) log.Logger {
	return sdkLogger{s: l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

func (l sdkLogger) Debug(msg string, keyvals ...any) { l.s.Debugw(msg, keyvals...) }
func (l sdkLogger) Info(msg string, keyvals ...any)  { l.s.Infow(msg, keyvals...) }
func (l sdkLogger) Warn(msg string, keyvals ...any)  { l.s.Warnw(msg, keyvals...) }
func (l sdkLogger) Error(msg string, keyvals ...any) { l.s.Errorw(msg, keyvals...) }

// With returns a logger that adds keyvals to every line.
func (l sdkLogger) With(keyvals ...any) log.Logger { return sdkLogger{s: l.s.With(keyvals...)} }

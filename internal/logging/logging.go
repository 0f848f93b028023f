// Package logging builds the zap logger that every binary of the project writes through, from
// the common --log-level and --log-format flags.
package logging

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Options are the logging flags shared by the binaries.
type Options struct {
	Level  string
	Format string
}

// AddFlags binds --log-level and --log-format to o with the given default level.
func (o *Options) AddFlags(fs *pflag.FlagSet, defaultLevel string) {
	fs.StringVar(&o.Level, "log-level", defaultLevel, "log level: debug, info, warn or error")
	fs.StringVar(&o.Format, "log-format", "auto", "log format: json, console, or auto (console on a terminal, json otherwise)")
}

// New builds a logger that writes to w. Its errors name the flag at fault.
func (o Options) New(w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(o.Level)
	if err != nil || level > zapcore.ErrorLevel {
		return nil, fmt.Errorf("invalid --log-level %q: must be debug, info, warn or error", o.Level)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	format := o.Format
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "console"
		}
	}
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	case "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		encCfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(encCfg)
	default:
		return nil, fmt.Errorf("invalid --log-format %q: must be json, console or auto", o.Format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core), nil
}

// isTerminal reports whether w is a terminal (a character device), where people read the logs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

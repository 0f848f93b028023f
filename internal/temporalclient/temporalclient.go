// Package temporalclient connects our binaries to a Temporal frontend: the shared connection
// flags, a dial that waits and retries while the server is unreachable, and the SDK's logs
// routed through zap.
package temporalclient

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/internal/envflag"
)

// Defaults of the connection flags.
const (
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
	DefaultTaskQueue = "hello-cron"
)

// Options are the connection settings shared by the worker and the starter.
type Options struct {
	Address   string
	Namespace string
	TaskQueue string
}

// AddFlags binds --address, --namespace and --task-queue, with their env vars, to o.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Address, "address", DefaultAddress, "Temporal frontend host:port")
	fs.StringVar(&o.Namespace, "namespace", DefaultNamespace, "Temporal namespace")
	fs.StringVar(&o.TaskQueue, "task-queue", DefaultTaskQueue, "Temporal task queue of the source workflows")
	envflag.Bind(fs, "address", "TEMPORAL_ADDRESS")
	envflag.Bind(fs, "namespace", "TEMPORAL_NAMESPACE")
	envflag.Bind(fs, "task-queue", "TEMPORAL_TASK_QUEUE")
}

// Validate reports the first empty setting, naming its flag.
func (o Options) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"address", o.Address}, {"namespace", o.Namespace}, {"task-queue", o.TaskQueue},
	} {
		if f.value == "" {
			return fmt.Errorf("invalid --%s: must not be empty", f.name)
		}
	}
	return nil
}

// Dial connects to the frontend. While it is unreachable, Dial logs and retries with a backoff
// of up to 5 s, until it connects or ctx ends.
func (o Options) Dial(ctx context.Context, logger *zap.Logger) (client.Client, error) {
	opts := client.Options{
		HostPort:  o.Address,
		Namespace: o.Namespace,
		Logger:    NewLogger(logger),
	}
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", o.Address, err)
		}
		logger.Warn("Temporal is unreachable, retrying",
			zap.String("address", o.Address), zap.Int("attempt", attempt),
			zap.Duration("retryIn", backoff), zap.Error(err))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to Temporal at %s: %w", o.Address, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

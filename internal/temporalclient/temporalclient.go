// Package temporalclient connects our binaries to a Temporal frontend: the shared connection
// flags (address, namespace, task queue, TLS and API key), a dial that waits and retries while
// the server is unreachable, and the SDK's logs routed through zap.
package temporalclient

import (
	"context"
	"crypto/tls"
	"errors"
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

// Options are the connection settings shared by the worker and the starter. The API key is
// unexported and String masks it, so that printing or logging Options never shows it.
type Options struct {
	Address   string
	Namespace string
	TaskQueue string

	TLSCert       string // PEM file of the client certificate, for mTLS
	TLSKey        string // PEM file of its private key
	TLSCA         string // PEM file of the CAs that sign the server's certificate (empty: system pool)
	TLSServerName string // name the server's certificate must have (empty: the host of Address)
	apiKey        string

	tls *tls.Config // built by Validate from the files above; nil means plaintext

	// MetricsHandler receives the SDK's metrics; nil drops them. Not a flag: the worker sets it.
	MetricsHandler client.MetricsHandler
}

// AddFlags binds the connection flags, with their env vars, to o.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Address, "address", DefaultAddress, "Temporal frontend host:port (a host alone gets port "+DefaultPort+")")
	fs.StringVar(&o.Namespace, "namespace", DefaultNamespace, "Temporal namespace")
	fs.StringVar(&o.TaskQueue, "task-queue", DefaultTaskQueue, "Temporal task queue of the source workflows")
	envflag.Bind(fs, "address", "TEMPORAL_ADDRESS")
	envflag.Bind(fs, "namespace", "TEMPORAL_NAMESPACE")
	envflag.Bind(fs, "task-queue", "TEMPORAL_TASK_QUEUE")
	o.addSecurityFlags(fs)
}

// Validate checks the settings, gives an address without a port DefaultPort (see
// normalizeAddress) and loads the TLS files. Its errors name the flag or the env var that the bad
// value came from (lookupEnv is the one envflag.Apply used) and never show a secret.
func (o *Options) Validate(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) error {
	for _, f := range []struct{ name, value string }{
		{"address", o.Address}, {"namespace", o.Namespace}, {"task-queue", o.TaskQueue},
	} {
		if f.value == "" {
			return fmt.Errorf("invalid --%s: must not be empty", f.name)
		}
	}
	source := func(flag string) string { return envflag.Source(fs, flag, lookupEnv) }
	addr, err := normalizeAddress(o.Address)
	if err != nil {
		return fmt.Errorf("invalid %s %q: %s (%w)", source("address"), o.Address, errAddressHint, err)
	}
	o.Address = addr
	return o.loadSecurity(source)
}

// String describes the connection for messages, with the API key masked.
func (o Options) String() string {
	return fmt.Sprintf("address=%s namespace=%s taskQueue=%s tls=%t apiKey=%s",
		o.Address, o.Namespace, o.TaskQueue, o.tls != nil, mask(o.apiKey))
}

// LogFields are the connection settings for a log line, with the API key masked.
func (o Options) LogFields() []zap.Field {
	return []zap.Field{zap.String("address", o.Address), zap.String("namespace", o.Namespace),
		zap.String("taskQueue", o.TaskQueue), zap.Bool("tls", o.tls != nil), zap.String("apiKey", mask(o.apiKey))}
}

// Dial connects to the frontend. While it is unreachable, Dial logs and retries with a backoff
// of up to 5 s, until it connects or ctx ends. Validate must have succeeded first.
func (o Options) Dial(ctx context.Context, logger *zap.Logger) (client.Client, error) {
	if o.tls == nil && o.securityWanted() {
		return nil, errors.New("connect to Temporal: the TLS settings were not validated")
	}
	opts := client.Options{
		HostPort:          o.Address,
		Namespace:         o.Namespace,
		Logger:            NewLogger(logger),
		MetricsHandler:    o.MetricsHandler,
		ConnectionOptions: client.ConnectionOptions{TLS: o.tls},
	}
	if o.apiKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(o.apiKey)
	}
	backoff := 250 * time.Millisecond
	var lastErr error
	for attempt := 1; ; attempt++ {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			// The attempt that ctx cut short says less than the one before it (a TLS error, say).
			return nil, fmt.Errorf("connect to Temporal at %s: %w", o.Address, firstErr(lastErr, err))
		}
		lastErr = err
		logger.Warn("Temporal is unreachable, retrying",
			zap.String("address", o.Address), zap.Bool("tls", o.tls != nil), zap.Int("attempt", attempt),
			zap.Duration("retryIn", backoff), zap.Error(err))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to Temporal at %s: %w", o.Address, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

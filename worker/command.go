package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/health"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/metrics"
	"github.com/hello-cron/cronsource/internal/sdkmetrics"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/temporalclient"
	"github.com/hello-cron/cronsource/internal/tracing"
	"github.com/hello-cron/cronsource/internal/version"
	"github.com/hello-cron/cronsource/workflows"
)

type options struct {
	conn            temporalclient.Options
	sink            string
	deliveryTimeout time.Duration
	oidcTokenFile   string
	tokenOrigins    string
	allowedSinks    string
	credentialsDir  string
	metricsAddr     string
	log             logging.Options
}

func newCommand(lookupEnv func(string) (string, bool), stderr io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Version:       version.String(),
		Use:           "worker",
		Short:         "Run the cron source's Temporal worker",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := envflag.Apply(cmd.Flags(), lookupEnv); err != nil {
				return err
			}
			return o.run(cmd, lookupEnv, stderr)
		},
	}
	fs := cmd.Flags()
	o.conn.AddFlags(fs)
	fs.StringVar(&o.sink, "sink", "", "default sink URL for sources without their own")
	envflag.Bind(fs, "sink", "K_SINK", "SINK")
	fs.DurationVar(&o.deliveryTimeout, "delivery-timeout", sink.DefaultRequestTimeout,
		"how long one delivery attempt waits for the sink before it is retried")
	fs.StringVar(&o.oidcTokenFile, "oidc-token-file", sink.DefaultOIDCTokenFile,
		"file whose token is sent to the worker's sink as Authorization: Bearer, over https or to loopback, read at each delivery; no file, no header (empty: off)")
	fs.StringVar(&o.tokenOrigins, "oidc-token-origins", "", "comma-separated origins, such as https://broker.example.com, that get the OIDC token besides the worker's sink")
	envflag.Bind(fs, "oidc-token-origins", "OIDC_TOKEN_ORIGINS")
	fs.StringVar(&o.allowedSinks, "allowed-sinks", "",
		"comma-separated origins, such as https://broker.example.com, that sources may post to besides the worker's sink (empty: any); a tick for another is rejected")
	envflag.Bind(fs, "allowed-sinks", "ALLOWED_SINKS")
	fs.StringVar(&o.credentialsDir, "sink-credentials", "",
		"folder of the sink credentials that sources name with --sink-credential: one folder each, with files origin and username and password, or token")
	envflag.Bind(fs, "sink-credentials", "SINK_CREDENTIALS")
	fs.StringVar(&o.metricsAddr, "metrics-addr", ":9090", "address of /metrics, /healthz and /readyz (empty: none)")
	o.log.AddFlags(fs, "info")
	cmd.AddCommand(health.Command("http://127.0.0.1:9090/readyz"))
	return cmd
}

func (o *options) run(cmd *cobra.Command, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	if err := o.conn.Validate(cmd.Flags(), lookupEnv); err != nil {
		return err
	}
	if o.sink != "" {
		if _, err := sink.ParseURL(o.sink); err != nil {
			return fmt.Errorf("invalid %s %q: %w", envflag.Source(cmd.Flags(), "sink", lookupEnv), sink.Redact(o.sink), err)
		}
	}
	if o.deliveryTimeout <= 0 || o.deliveryTimeout >= workflows.AttemptTimeout {
		return fmt.Errorf("invalid --delivery-timeout %s: must be more than 0 and less than %s", o.deliveryTimeout, workflows.AttemptTimeout)
	}
	if err := checkTokenFile(o.oidcTokenFile); err != nil {
		return fmt.Errorf("invalid --oidc-token-file %q: %w", o.oidcTokenFile, err)
	}
	policy, credentials, err := o.sinkPolicy(cmd, lookupEnv)
	if err != nil {
		return err
	}
	overridesEnv, _ := lookupEnv("K_CE_OVERRIDES")
	overrides, err := sink.ParseOverrides(overridesEnv)
	if err != nil {
		return fmt.Errorf("invalid K_CE_OVERRIDES: %w", err)
	}
	caEnv, _ := lookupEnv("K_CA_CERTS")
	roots, err := sink.CACertPool(caEnv)
	if err != nil {
		return fmt.Errorf("invalid K_CA_CERTS: %w", err)
	}
	traceSettings, err := tracing.Read(lookupEnv)
	if err != nil {
		return err
	}
	logger, err := o.log.New(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	reg := metrics.NewRegistry()
	if o.metricsAddr != "" {
		h, err := sdkmetrics.NewHandler(reg, func(err error) { logger.Warn("metric dropped", zap.Error(err)) })
		if err != nil {
			return err
		}
		o.conn.MetricsHandler = h
	}
	ops, err := listenOps(o.metricsAddr, reg)
	if err != nil {
		return err
	}
	defer ops.close()

	ctx := cmd.Context()
	httpClient := sink.NewHTTPClient(roots, o.deliveryTimeout, policy)
	activityOpts, stopTracing, err := startTracing(ctx, traceSettings, httpClient, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	c, err := o.conn.Dial(ctx, logger)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the server answered
		}
		return err
	}
	defer c.Close()

	w := worker.New(c, o.conn.TaskQueue, workflows.WorkerOptions())
	activityOpts = append(activityOpts, activities.WithSinks(policy.Allowed, credentials))
	workflows.Register(w, activities.New(httpClient, o.sink, overrides, activityOpts...))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	ops.polling.Store(&c)
	logger.Info("worker started", append(o.conn.LogFields(),
		zap.String("sink", sink.Redact(o.sink)), zap.String("oidcTokenFile", o.oidcTokenFile),
		zap.Stringer("oidcTokenOrigins", policy.TokenOrigins), zap.Stringer("allowedSinks", policy.Allowed),
		zap.String("sinkCredentials", o.credentialsDir))...)
	<-ctx.Done()
	logger.Info("stopping worker")
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// checkTokenFile refuses an OIDC token file that every delivery would fail to read (see
// sink.NewHTTPClient): a path that exists must be a regular file, or a link to one, that can be
// read. A path that does not exist is fine, since Knative mounts the token only when OIDC is on,
// and so is "", which turns it off. The error never shows the token.
func checkTokenFile(file string) error {
	if file == "" {
		return nil
	}
	info, err := os.Stat(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch mode := info.Mode(); {
	case mode.IsDir():
		return errors.New("is a directory, not a file")
	case !mode.IsRegular():
		return fmt.Errorf("is not a regular file but %s", describeType(mode))
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// describeType names the kind of file that is neither regular nor a directory.
func describeType(mode os.FileMode) string {
	switch {
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&os.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}

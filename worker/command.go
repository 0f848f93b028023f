package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/health"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/metrics"
	"github.com/hello-cron/cronsource/internal/sdkmetrics"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/sinkref"
	"github.com/hello-cron/cronsource/internal/temporalclient"
	"github.com/hello-cron/cronsource/internal/tracing"
	"github.com/hello-cron/cronsource/internal/version"
	"github.com/hello-cron/cronsource/workflows"
)

type options struct {
	conn            temporalclient.Options
	deliveryTimeout time.Duration
	tokenOrigins    string
	allowedSinks    string
	credentialsDir  string
	metricsAddr     string
	tuning          tuning
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
	sink.AddEnvFlags(fs)
	fs.DurationVar(&o.deliveryTimeout, "delivery-timeout", sink.DefaultRequestTimeout,
		"how long one delivery attempt waits for the sink before it is retried")
	fs.StringVar(&o.tokenOrigins, "oidc-token-origins", "", "comma-separated origins, such as https://broker.example.com, that get the OIDC token besides the worker's sink")
	envflag.Bind(fs, "oidc-token-origins", "OIDC_TOKEN_ORIGINS")
	fs.StringVar(&o.allowedSinks, "allowed-sinks", "",
		"comma-separated origins, such as https://broker.example.com, that sources may post to besides the worker's sink (empty: any); a tick for another is rejected")
	envflag.Bind(fs, "allowed-sinks", "ALLOWED_SINKS")
	fs.StringVar(&o.credentialsDir, "sink-credentials", "",
		"folder of the sink credentials that sources name with --sink-credential: one folder each, with files origin and username and password, or token")
	envflag.Bind(fs, "sink-credentials", "SINK_CREDENTIALS")
	fs.StringVar(&o.metricsAddr, "metrics-addr", ":9090", "address of /metrics, /healthz and /readyz (empty: none)")
	o.tuning.addFlags(fs)
	o.log.AddFlags(fs, "info")
	cmd.AddCommand(health.Command("http://127.0.0.1:9090/readyz"))
	return cmd
}

// settings are the worker's inputs once checked: all that serve needs besides options.
type settings struct {
	env         sink.Env
	policy      sink.Policy
	credentials sink.Credentials
	tracing     tracing.Settings
}

// run checks the input, then serves until the command's context ends (SIGTERM). Bad input
// returns one line before anything is logged.
func (o *options) run(cmd *cobra.Command, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	s, err := o.check(cmd.Flags(), lookupEnv)
	if err != nil {
		return err
	}
	logger, err := o.log.New(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	ops, err := o.startOps(logger)
	if err != nil {
		return err
	}
	defer ops.close()
	return o.serve(cmd.Context(), s, logger, ops)
}

// check reads and checks every flag and variable but the logging ones (o.log.New checks those).
// Its errors name the flag or variable at fault.
func (o *options) check(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) (settings, error) {
	if err := o.conn.Validate(fs, lookupEnv); err != nil {
		return settings{}, err
	}
	if err := o.tuning.check(); err != nil {
		return settings{}, err
	}
	env, err := sink.ReadEnv(fs, lookupEnv)
	if err != nil {
		return settings{}, err
	}
	if o.deliveryTimeout <= 0 || o.deliveryTimeout >= workflows.AttemptTimeout {
		return settings{}, fmt.Errorf("invalid --delivery-timeout %s: must be more than 0 and less than %s", o.deliveryTimeout, workflows.AttemptTimeout)
	}
	policy, credentials, err := o.sinkPolicy(fs, lookupEnv, env)
	if err != nil {
		return settings{}, err
	}
	traceSettings, err := tracing.Read(lookupEnv)
	if err != nil {
		return settings{}, err
	}
	return settings{env: env, policy: policy, credentials: credentials, tracing: traceSettings}, nil
}

// startOps serves /metrics, /healthz and /readyz on --metrics-addr, and has the Temporal client
// report the SDK's metrics there; an empty --metrics-addr serves none.
func (o *options) startOps(logger *zap.Logger) (*ops, error) {
	reg := metrics.NewRegistry()
	if o.metricsAddr != "" {
		h, err := sdkmetrics.NewHandler(reg, func(err error) { logger.Warn("metric dropped", zap.Error(err)) })
		if err != nil {
			return nil, err
		}
		o.conn.MetricsHandler = h
	}
	return listenOps(o.metricsAddr, reg)
}

// serve connects to Temporal, runs the source workflows and their activities until ctx ends,
// and then stops the worker, letting a delivery in flight finish and report.
func (o *options) serve(ctx context.Context, s settings, logger *zap.Logger, ops *ops) error {
	httpClient := sink.NewHTTPClient(s.env.Roots, o.deliveryTimeout, s.policy)
	activityOpts, stopTracing, err := startTracing(ctx, s.tracing, httpClient, logger)
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

	w := worker.New(c, o.conn.TaskQueue, o.tuning.options())
	activityOpts = append(activityOpts, activities.WithSinks(s.policy.Allowed, s.credentials))
	workflows.Register(w, activities.New(httpClient, s.env.Sink, s.env.Overrides, activityOpts...))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	ops.polling.Store(&c)
	logger.Info("worker started", append(o.conn.LogFields(),
		zap.String("sink", sinkref.Redact(s.env.Sink)), zap.String("oidcTokenFile", s.env.TokenFile),
		zap.Stringer("oidcTokenOrigins", s.policy.TokenOrigins), zap.Stringer("allowedSinks", s.policy.Allowed),
		zap.String("sinkCredentials", o.credentialsDir), zap.String("metricsAddr", ops.addr))...)
	<-ctx.Done()
	logger.Info("stopping worker")
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

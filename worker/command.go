package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/temporalclient"
	"github.com/hello-cron/cronsource/workflows"
)

type options struct {
	conn temporalclient.Options
	sink string
	log  logging.Options
}

func newCommand(lookupEnv func(string) (string, bool), stderr io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
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
	o.log.AddFlags(fs, "info")
	return cmd
}

func (o *options) run(cmd *cobra.Command, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	if err := o.conn.Validate(); err != nil {
		return err
	}
	if o.sink != "" {
		if _, err := sink.ParseURL(o.sink); err != nil {
			return fmt.Errorf("invalid %s %q: %w", envflag.Source(cmd.Flags(), "sink", lookupEnv), o.sink, err)
		}
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
	logger, err := o.log.New(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	ctx := cmd.Context()
	c, err := o.conn.Dial(ctx, logger)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the server answered
		}
		return err
	}
	defer c.Close()

	w := worker.New(c, o.conn.TaskQueue, worker.Options{
		// Lets an in-flight delivery finish and report on SIGTERM.
		WorkerStopTimeout: 15 * time.Second,
	})
	workflows.Register(w, activities.New(sink.NewHTTPClient(roots), o.sink, overrides))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("worker started", zap.String("address", o.conn.Address),
		zap.String("namespace", o.conn.Namespace), zap.String("taskQueue", o.conn.TaskQueue),
		zap.String("sink", o.sink))
	<-ctx.Done()
	logger.Info("stopping worker")
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

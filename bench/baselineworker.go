package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/temporalclient"
	"github.com/hello-cron/cronsource/workflows"
)

// baselineWorkerCommand is the hidden subcommand that runs the worker of the baselines built on
// Temporal (Schedules and classic); the benchmark starts it as a child process, as it starts our
// worker for ours.
const baselineWorkerCommand = "baseline-worker"

// baselineTaskQueue is where the baselines' workflows run.
const baselineTaskQueue = "bench-baselines"

func newBaselineWorkerCommand() *cobra.Command {
	var conn temporalclient.Options
	var log logging.Options
	var sinkURL string
	cmd := &cobra.Command{
		Use:    baselineWorkerCommand,
		Short:  "Run the worker of the Schedules and classic baselines (started by the benchmark)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := envflag.Apply(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			if err := conn.Validate(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			logger, err := log.New(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer func() { _ = logger.Sync() }()
			return runBaselineWorker(cmd.Context(), conn, logger, sinkURL)
		},
	}
	// Our worker's connection and log flags; the benchmark gives its own task queue.
	conn.AddFlags(cmd.Flags())
	log.AddFlags(cmd.Flags(), "error")
	cmd.Flags().StringVar(&sinkURL, "sink", "", "the sink every tick is posted to")
	return cmd
}

// runBaselineWorker runs the baselines' workflows and our activities, with the dial, HTTP client
// and worker options our worker uses, until ctx ends.
func runBaselineWorker(ctx context.Context, conn temporalclient.Options, logger *zap.Logger, sinkURL string) error {
	// Started with the devserver, as our worker is: the dial waits for it.
	c, err := conn.Dial(ctx, logger)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the server answered
		}
		return err
	}
	defer c.Close()
	w := worker.New(c, conn.TaskQueue, workflows.WorkerOptions())
	// Our activities, registered where our worker registers them; the bench workflows besides.
	workflows.Register(w, activities.New(sink.NewHTTPClient(nil, sink.DefaultRequestTimeout, sink.Policy{Home: sinkURL, TokenFile: sink.DefaultOIDCTokenFile}), sinkURL, nil))
	w.RegisterWorkflowWithOptions(scheduledTick, workflow.RegisterOptions{Name: scheduledTickWorkflow})
	w.RegisterWorkflowWithOptions(classicSource, workflow.RegisterOptions{Name: classicSourceWorkflow})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}

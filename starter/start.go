package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/workflows"
)

func newStartCommand(r *root) *cobra.Command {
	var (
		id   string
		cfg  workflows.Config
		mode string
	)
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a source; a second start of a running source changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return fmt.Errorf("invalid --workflow-id: must not be empty")
			}
			cfg.ContentMode = activities.ContentMode(mode)
			if err := cfg.Validate(); err != nil {
				return err
			}
			c, err := r.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			run, err := c.ExecuteWorkflow(cmd.Context(), client.StartWorkflowOptions{
				ID:        id,
				TaskQueue: r.conn.TaskQueue,
				// A running source is never replaced: the second start fails and says so.
				WorkflowExecutionErrorWhenAlreadyStarted: true,
			}, workflows.CronSource, workflows.Input{Config: cfg})
			var already *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &already) {
				fmt.Fprintf(r.stdout, "source %q is already running (run %s); nothing changed\n", id, already.RunId)
				return nil
			}
			if err != nil {
				return fmt.Errorf("start source %q: %w", id, err)
			}
			fmt.Fprintf(r.stdout, "started source %q (run %s) every %v\n", id, run.GetRunID(), cfg.Interval)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&id, "workflow-id", "hello-cron", "workflow id of the source")
	fs.DurationVar(&cfg.Interval, "interval", 10*time.Second, "time between ticks (at least 100ms)")
	fs.StringVar(&cfg.Type, "type", workflows.DefaultType, "CloudEvent type")
	fs.StringVar(&cfg.Source, "source", workflows.DefaultSource, "CloudEvent source")
	fs.StringVar(&cfg.Sink, "sink", "", "this source's sink URL (default: the worker's)")
	fs.StringVar(&mode, "content-mode", string(activities.Binary), "binary or structured")
	fs.IntVar(&cfg.ContinueAsNewAfter, "continue-as-new-after", workflows.DefaultContinueAsNewAfter, "ticks per workflow run before it continues as new")
	return cmd
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/workflows"
)

func newStartCommand(r *root) *cobra.Command {
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a source; a second start of a running source changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := src.input(cmd.Flags(), r.lookupEnv, time.Now())
			if err != nil {
				return err
			}
			if src.group != "" {
				return r.joinGroup(cmd.Context(), src.group, src.id, in)
			}
			return r.startSource(cmd.Context(), src.id, in)
		},
	}
	src.add(cmd.Flags())
	return cmd
}

// startSource starts the source id with in, or finds it running and changes nothing.
func (r *root) startSource(ctx context.Context, id string, in workflows.Input) error {
	c, err := r.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	running, err := r.start(ctx, c, r.stdout, id, in)
	if running != "" {
		fmt.Fprintf(r.stdout, "source %q is already running (run %s); nothing changed\n", id, running)
	}
	return err
}

// start starts the source id with in and prints so to out, or finds it running, changes nothing
// and returns the running run's id. Temporal's tools show the summary and details of the first
// run; every run shows the same summary line in its current details. The memo records the
// configuration for `apply`.
func (r *root) start(ctx context.Context, c client.Client, out io.Writer, id string, in workflows.Input) (running string, err error) {
	opts := workflows.StartOptions(id, r.conn.TaskQueue)
	opts.StaticSummary, opts.StaticDetails = in.Config.Summary(), in.Config.Details()
	opts.Memo = map[string]any{workflows.MemoConfig: workflows.Record(in.Config)}
	in.Config.SearchAttributes, in.Config.PauseReasonAttribute = r.searchAttributes(ctx, c)
	if in.Config.SearchAttributes {
		opts.TypedSearchAttributes = workflows.StartSearchAttributes(in)
	}
	run, err := c.ExecuteWorkflow(ctx, opts, workflows.CronSource, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return already.RunId, nil
	}
	if err != nil {
		return "", fmt.Errorf("start source %q: %w", id, err)
	}
	state := ""
	if in.State.Paused {
		state = ", paused: resume starts it"
	}
	fmt.Fprintf(out, "started source %q (run %s) %s%s\n", id, run.GetRunID(), in.Config.Schedule(), state)
	return "", nil
}

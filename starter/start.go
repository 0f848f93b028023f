package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

func newStartCommand(r *root) *cobra.Command {
	var (
		id                                string
		sched                             scheduleFlags
		cfg                               workflows.Config
		mode, data, dataBase64, dataCType string
		paused                            bool
		pauseReason                       string
	)
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a source; a second start of a running source changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sched.config(cmd.Flags(), &cfg); err != nil {
				return err
			}
			if err := sched.checkSinks(cmd.Flags(), r.lookupEnv, [2]string{"sink", cfg.Sink},
				[2]string{"dead-letter-sink", cfg.DeadLetterSink}); err != nil {
				return err
			}
			cfg.ContentMode = contract.ContentMode(mode)
			if err := payload(&cfg, cmd.Flags().Changed("data"), data, dataBase64, dataCType); err != nil {
				return err
			}
			if err := cfg.ValidateStart(time.Now()); err != nil {
				return err
			}
			in := workflows.Input{Config: cfg}
			switch {
			case paused:
				in.State = workflows.PausedAtStart(pauseReason)
			case pauseReason != "":
				return fmt.Errorf("invalid --reason %q: only applies with --paused", pauseReason)
			}
			return r.startSource(cmd.Context(), id, in)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&id, "workflow-id", "hello-cron", "workflow id of the source")
	sched.add(fs)
	fs.Var(timeFlag{&cfg.StartAt}, "start-at", "time of the first tick, RFC 3339 (default: one interval or the next cron time from now)")
	fs.Var(timeFlag{&cfg.EndAt}, "end-at", "the source ends after the last tick due by this time, RFC 3339")
	fs.Int64Var(&cfg.MaxTicks, "max-ticks", 0, "the source ends after this many ticks (0: no limit)")
	fs.StringVar(&cfg.DeadLetterSink, "dead-letter-sink", "", "URL that receives the ticks the sink rejects for good, with no user or password in it")
	fs.StringVar(&cfg.DeadLetterSinkCredential, "dead-letter-sink-credential", "", "name of the worker's credential for the dead-letter sink")
	fs.StringVar(&data, "data", "", `event payload (default: {"Id":"<workflow id>","JobId":"<sequence>"})`)
	fs.StringVar(&dataBase64, "data-base64", "", "event payload, base64-encoded (instead of --data)")
	fs.StringVar(&dataCType, "data-content-type", "", "media type of --data or --data-base64 (default application/json)")
	fs.StringVar(&mode, "content-mode", string(contract.Binary), "binary or structured")
	fs.BoolVar(&paused, "paused", false, "start the source paused: no tick is sent until resume, and the ticks due meanwhile follow --catchup")
	fs.StringVar(&pauseReason, "reason", "", "with --paused: why, shown by describe and list (default \""+workflows.DefaultStartPausedReason+"\")")
	fs.IntVar(&cfg.ContinueAsNewAfter, "continue-as-new-after", workflows.DefaultContinueAsNewAfter, "ticks per workflow run before it continues as new")
	return cmd
}

// startSource starts the source id with cfg, or finds it running and changes nothing. Temporal's
// tools show the summary and details of the first run; every run shows the same summary line
// in its current details.
func (r *root) startSource(ctx context.Context, id string, in workflows.Input) error {
	c, err := r.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	opts := workflows.StartOptions(id, r.conn.TaskQueue)
	opts.StaticSummary, opts.StaticDetails = in.Config.Summary(), in.Config.Details()
	if in.Config.SearchAttributes = searchAttributesRegistered(ctx, c, r.conn.Namespace); in.Config.SearchAttributes {
		opts.TypedSearchAttributes = workflows.StartSearchAttributes(in)
	}
	run, err := c.ExecuteWorkflow(ctx, opts, workflows.CronSource, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		fmt.Fprintf(r.stdout, "source %q is already running (run %s); nothing changed\n", id, already.RunId)
		return nil
	}
	if err != nil {
		return fmt.Errorf("start source %q: %w", id, err)
	}
	state := ""
	if in.State.Paused {
		state = ", paused: resume starts it"
	}
	fmt.Fprintf(r.stdout, "started source %q (run %s) %s%s\n", id, run.GetRunID(), in.Config.Schedule(), state)
	return nil
}

// payload sets the event data from --data or --data-base64.
func payload(cfg *workflows.Config, dataSet bool, data, dataBase64, contentType string) error {
	switch {
	case dataSet && dataBase64 != "":
		return fmt.Errorf("invalid --data-base64: cannot be used with --data")
	case dataSet:
		cfg.Data = []byte(data)
	case dataBase64 != "":
		b, err := workflows.DecodeDataBase64(dataBase64)
		if err != nil {
			return err
		}
		cfg.Data = b
	case contentType != "":
		return fmt.Errorf("invalid --data-content-type %q: only applies with --data or --data-base64", contentType)
	}
	cfg.DataContentType = contentType
	return nil
}

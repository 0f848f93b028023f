package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/workflows"
)

// control is a subcommand that sends one update to a running source and prints the outcome.
type control struct {
	use, short, update string
	// flags adds the subcommand's own flags; args turns them into the update's arguments.
	flags func(fs *pflag.FlagSet)
	args  func(cmd *cobra.Command) ([]any, error)
	// says is the line printed once the source has taken the update.
	says func(id string, st workflows.Status) string
}

func (ctl control) command(r *root) *cobra.Command {
	var id, group string
	cmd := &cobra.Command{
		Use:   ctl.use,
		Short: ctl.short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var args []any
			if ctl.args != nil {
				var err error
				if args, err = ctl.args(cmd); err != nil {
					return err
				}
			}
			c, err := r.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			target := id
			if group != "" {
				target, args = group, memberArgs(id, args)
			}
			var st workflows.Status
			err = sendUpdate(cmd.Context(), c, client.UpdateWorkflowOptions{
				WorkflowID:   target,
				UpdateName:   ctl.update,
				Args:         args,
				WaitForStage: client.WorkflowUpdateStageCompleted,
			}, &st)
			if err != nil {
				if run, derr := describeRun(cmd.Context(), c, id, ""); group == "" && derr == nil && isGroup(run) {
					return groupError(ctl.update, id)
				}
				return fmt.Errorf("%s source %q%s: %s", ctl.update, id, inGroup(group), oneLine(err))
			}
			fmt.Fprintln(r.stdout, ctl.says(id, st))
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "workflow-id", "hello-cron", "workflow id of the source")
	addGroupFlag(cmd.Flags(), &group)
	if ctl.flags != nil {
		ctl.flags(cmd.Flags())
	}
	return cmd
}

// oneLine keeps the server's message on one line.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func controlCommands(r *root) []*cobra.Command {
	var reason string
	var sched scheduleFlags
	var stop stopFlags
	var bf backfillFlags
	controls := []control{
		{use: "pause", short: "Pause a source: no tick is delivered until it is resumed", update: workflows.UpdatePause,
			flags: func(fs *pflag.FlagSet) { fs.StringVar(&reason, "reason", "", "why, shown by describe and list") },
			args:  func(*cobra.Command) ([]any, error) { return []any{workflows.PauseRequest{Reason: reason}}, nil },
			says:  func(id string, _ workflows.Status) string { return fmt.Sprintf("paused source %q", id) }},
		{use: "resume", short: "Resume a paused source; missed ticks follow its catch-up policy", update: workflows.UpdateResume,
			says: func(id string, st workflows.Status) string {
				return fmt.Sprintf("resumed source %q; next tick %s", id, nextText(st))
			}},
		{use: "update", short: "Change a running source from its next tick", update: workflows.UpdateConfig,
			flags: sched.addUpdate,
			args: func(cmd *cobra.Command) ([]any, error) {
				p, err := sched.patch(cmd.Flags())
				if err == nil {
					err = sched.checkSinks(cmd.Flags(), r.lookupEnv, [2]string{"sink", sched.sink})
				}
				return []any{p}, err
			},
			says: func(id string, st workflows.Status) string {
				return fmt.Sprintf("updated source %q: %s, next tick %s", id, st.Schedule(), nextText(st))
			}},
		{use: "trigger", short: "Send one extra tick now, with its own sequence number", update: workflows.UpdateTrigger,
			says: func(id string, st workflows.Status) string {
				return fmt.Sprintf("triggered an extra tick of source %q (%d waiting to be sent)", id, st.PendingTriggers)
			}},
		{use: "stop", short: "Send no new tick; give the tick in flight --grace to be delivered, then complete the source",
			update: workflows.UpdateStop, flags: stop.add,
			args: func(cmd *cobra.Command) ([]any, error) {
				req, err := stop.request(cmd.Flags())
				return []any{req}, err
			},
			says: stoppingText},
		{use: "backfill", short: "Send the scheduled times from --from to --to that the source never sent, before its next tick",
			update: workflows.UpdateBackfill, flags: bf.add,
			args: func(cmd *cobra.Command) ([]any, error) {
				req, err := bf.request(cmd.Flags())
				return []any{req}, err
			},
			says: func(id string, st workflows.Status) string {
				b := st.Backfills[len(st.Backfills)-1]
				return fmt.Sprintf("backfilling source %q: %d never-sent times from %s to %s (%d backfills waiting); describe shows the progress",
					id, b.Total, b.From.Format(time.RFC3339Nano), b.To.Format(time.RFC3339Nano), len(st.Backfills))
			}},
	}
	cmds := make([]*cobra.Command, len(controls))
	for i, ctl := range controls {
		cmds[i] = ctl.command(r)
	}
	return cmds
}

// backfillFlags are the flags of `backfill`.
type backfillFlags struct{ from, to time.Time }

func (f *backfillFlags) add(fs *pflag.FlagSet) {
	fs.Var(timeFlag{&f.from}, "from", "the first scheduled time to consider, RFC 3339")
	fs.Var(timeFlag{&f.to}, "to", "the last scheduled time to consider, RFC 3339, not in the future")
}

func (f *backfillFlags) request(fs *pflag.FlagSet) (workflows.BackfillRequest, error) {
	for _, name := range []string{"from", "to"} {
		if !fs.Changed(name) {
			return workflows.BackfillRequest{}, fmt.Errorf("invalid --%s: required", name)
		}
	}
	if f.to.Before(f.from) {
		return workflows.BackfillRequest{}, fmt.Errorf("invalid --to %s: before --from %s", f.to.Format(time.RFC3339), f.from.Format(time.RFC3339))
	}
	return workflows.BackfillRequest{From: f.from, To: f.to}, nil
}

// stopFlags are the flags of `stop`.
type stopFlags struct {
	grace time.Duration
	now   bool
}

func (f *stopFlags) add(fs *pflag.FlagSet) {
	fs.DurationVar(&f.grace, "grace", workflows.DefaultStopGrace,
		"how long the tick in flight may still be retried; then it goes to the dead-letter sink, or is logged and counted as abandoned")
	fs.BoolVar(&f.now, "now", false, "abandon the tick in flight at once (--grace 0)")
}

func (f *stopFlags) request(fs *pflag.FlagSet) (workflows.StopRequest, error) {
	switch {
	case f.now && fs.Changed("grace"):
		return workflows.StopRequest{}, fmt.Errorf("invalid --grace %s: cannot be used with --now", f.grace)
	case f.grace < 0:
		return workflows.StopRequest{}, fmt.Errorf("invalid --grace %s: must not be negative", f.grace)
	case f.now:
		return workflows.StopRequest{Now: true}, nil
	}
	return workflows.StopRequest{Grace: &f.grace}, nil
}

// stoppingText says what a stop will do with the tick in flight.
func stoppingText(id string, st workflows.Status) string {
	f := st.InFlight
	if f == nil {
		return fmt.Sprintf("stopping source %q: no tick is in flight, so it completes now", id)
	}
	then := "it is abandoned (logged and counted)"
	if st.DeadLetterSink != "" {
		then = "it goes to the dead-letter sink " + st.DeadLetterSink
	}
	by := "however long it takes" // a source started before stops had a grace
	if st.StopBy != nil {
		by = "until " + st.StopBy.Format(time.RFC3339)
	}
	return fmt.Sprintf("stopping source %q: tick %d (id %s) is in flight and may be delivered %s; if not, %s",
		id, f.Sequence, f.ID, by, then)
}

func nextText(st workflows.Status) string {
	if st.NextFireTime == nil {
		return "none (" + st.NoNextFireTime() + ")"
	}
	return st.NextFireTime.Format("2006-01-02T15:04:05.000Z07:00")
}

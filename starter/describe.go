package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cron/cronsource/workflows"
)

func newDescribeCommand(r *root) *cobra.Command {
	var id, output string
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show a source's configuration and progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := r.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := queryStatus(cmd.Context(), c, id)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(r.stdout, st)
			}
			return describeText(r, st)
		},
	}
	cmd.Flags().StringVar(&id, "workflow-id", "hello-cron", "workflow id of the source")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func describeText(r *root, st workflows.Status) error {
	orNone := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	catchup := st.Catchup
	if st.CatchupWindow != "" {
		catchup += ", within " + st.CatchupWindow
	}
	var next []string
	for _, t := range st.NextFireTimes {
		next = append(next, t.Format(time.RFC3339Nano))
	}
	w := tabwriter.NewWriter(r.stdout, 0, 4, 1, ' ', 0)
	for _, row := range [][2]string{
		{"source", st.WorkflowID},
		{"state", st.State()},
		{"schedule", workflows.ScheduleText(st.Interval, st.Cron, st.Timezone)},
		{"catch-up", catchup},
		{"jitter", orNone(st.Jitter, "none")},
		{"type", st.Type},
		{"ce source", st.Source},
		{"sink", orNone(st.Sink, "(the worker's)")},
		{"dead-letter sink", orNone(st.DeadLetterSink, "none")},
		{"last sequence", fmt.Sprint(st.Sequence)},
		{"in flight", inFlightText(st.InFlight)},
		{"next fire time", nextText(st)},
		{"next fire times", orNone(strings.Join(next, ", "), "none")},
		{"delivered", fmt.Sprint(st.Delivered)},
		{"retried", fmt.Sprint(st.Retried)},
		{"rejected", fmt.Sprint(st.Rejected)},
		{"dead-lettered", fmt.Sprint(st.DeadLettered)},
		{"caught up", fmt.Sprint(st.CaughtUp)},
		{"skipped", fmt.Sprint(st.Skipped)},
	} {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	return w.Flush()
}

func inFlightText(t *workflows.TickStatus) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprintf("tick %d (id %s, time %s)", t.Sequence, t.ID, t.Time.Format(time.RFC3339Nano))
}

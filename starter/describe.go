package main

import (
	"encoding/json"
	"fmt"
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
			if output != "text" && output != "json" {
				return fmt.Errorf("invalid --output %q: must be text or json", output)
			}
			c, err := r.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			v, err := c.QueryWorkflow(cmd.Context(), id, "", workflows.QueryStatus)
			if err != nil {
				return fmt.Errorf("query source %q: %w", id, err)
			}
			var st workflows.Status
			if err := v.Get(&st); err != nil {
				return fmt.Errorf("decode status of %q: %w", id, err)
			}
			if output == "json" {
				enc := json.NewEncoder(r.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			sinkName := st.Sink
			if sinkName == "" {
				sinkName = "(the worker's)"
			}
			fmt.Fprintf(r.stdout, "source:         %s\ntype:           %s\nce source:      %s\ninterval:       %s\nsink:           %s\n"+
				"last sequence:  %d\nnext fire time: %s\ndelivered:      %d\nrejected:       %d\n",
				st.WorkflowID, st.Type, st.Source, st.Interval, sinkName,
				st.Sequence, st.NextFireTime.Format(time.RFC3339Nano), st.Delivered, st.Rejected)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "workflow-id", "hello-cron", "workflow id of the source")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

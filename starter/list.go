package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/workflows"
)

// listQuery finds the running sources in the namespace through Temporal's visibility store.
const listQuery = "WorkflowType = 'CronSource' AND ExecutionStatus = 'Running'"

// pausedQuery narrows listQuery, where the search attributes are registered, to the paused
// sources and those started before the search attributes existed, which have none.
const pausedQuery = listQuery + " AND (" + searchattr.Paused + " = true OR " + searchattr.Paused + " IS NULL)"

// queryTimeout bounds the status query of one source, which needs a worker to answer.
const queryTimeout = 5 * time.Second

func newListCommand(r *root) *cobra.Command {
	var output string
	var paused bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the running sources in the namespace, with their state and next fire time",
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
			query := listQuery
			if paused && searchAttributesRegistered(cmd.Context(), c, r.conn.Namespace) {
				query = pausedQuery
			}
			sources, err := listSources(cmd.Context(), c, query)
			if err != nil {
				return err
			}
			if paused {
				// The query may have found running sources too: without the search
				// attributes, or started before them. Keep the paused ones and those whose
				// status could not be had.
				sources = slices.DeleteFunc(sources, func(l listed) bool { return l.Status != nil && !l.Paused })
			}
			if output == "json" {
				return writeJSON(r.stdout, sources)
			}
			w := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "WORKFLOW ID\tSTATE\tSCHEDULE\tSEQUENCE\tNEXT FIRE TIME")
			for _, s := range sources {
				if s.Error != "" {
					fmt.Fprintf(w, "%s\tunknown: %s\t\t\t\n", s.WorkflowID, s.Error)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", s.WorkflowID, s.Status.State(),
					workflows.ScheduleText(s.Interval, s.Cron, s.Timezone), s.Sequence, nextText(*s.Status))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().BoolVar(&paused, "paused", false, "only the paused sources (filtered by the "+searchattr.Paused+" search attribute where it exists)")
	return cmd
}

// listed is one running source: its status, or why it could not be had.
type listed struct {
	WorkflowID string `json:"workflowId"`
	*workflows.Status
	Error string `json:"error,omitempty"`
}

func listSources(ctx context.Context, c client.Client, query string) ([]listed, error) {
	var out []listed
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			id := e.GetExecution().GetWorkflowId()
			l := listed{WorkflowID: id}
			st, err := queryStatus(ctx, c, id)
			if err != nil {
				l.Error = oneLine(err)
			} else {
				l.Status = &st
			}
			out = append(out, l)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

func queryStatus(ctx context.Context, c client.Client, id string) (workflows.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var st workflows.Status
	v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	if err != nil {
		return st, fmt.Errorf("query source %q: %w", id, err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode status of %q: %w", id, err)
	}
	return st, nil
}

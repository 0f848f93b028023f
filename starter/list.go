package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/internal/searchattr"
)

// The visibility queries that find the sources in the namespace.
const (
	sourcesQuery = "WorkflowType = 'CronSource'"
	// runningQuery finds the running sources.
	runningQuery = sourcesQuery + " AND ExecutionStatus = 'Running'"
	// allQuery finds every source's runs but those closed by continue-as-new, whose successor
	// is the source's run.
	allQuery = sourcesQuery + " AND ExecutionStatus != 'ContinuedAsNew'"
	// pausedFilter narrows a query, where the search attributes are registered, to the paused
	// sources and those started before the search attributes existed, which have none.
	pausedFilter = " AND (" + searchattr.Paused + " = true OR " + searchattr.Paused + " IS NULL)"
)

// listInFlight bounds the sources that list asks at once; a fleet is listed a page at a time,
// defaultListLimit sources unless --limit says otherwise.
const (
	listInFlight     = 16
	defaultListLimit = 1000
	maxListLimit     = 100000
)

func newListCommand(r *root) *cobra.Command {
	var output, prefix, group string
	var paused, all bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the running sources in the namespace (--all: and those that have closed), with their state and next fire time",
		Args:  cobra.NoArgs,
		RunE: readCommand(r, &output, func(ctx context.Context, c client.Client) ([]listed, error) {
			if group != "" {
				if paused || all || prefix != "" || limit != defaultListLimit {
					return nil, fmt.Errorf("invalid --group %q: lists every source of the group, without --paused, --all, --prefix or --limit", group)
				}
				return listMembers(ctx, c, group)
			}
			query := runningQuery
			if all {
				query = allQuery
			}
			if limit < 1 || limit > maxListLimit {
				return nil, fmt.Errorf("invalid --limit %d: must be from 1 to %d", limit, maxListLimit)
			}
			if strings.ContainsAny(prefix, `'\`) {
				return nil, fmt.Errorf("invalid --prefix %q: must not hold ' or \\", prefix)
			}
			if prefix != "" {
				query += " AND WorkflowId STARTS_WITH '" + prefix + "'"
			}
			if registered, _ := searchAttributesRegistered(ctx, c, r.conn.Namespace); paused && registered {
				query += pausedFilter
			}
			runs, more, err := listRuns(ctx, c, query, limit)
			if err != nil {
				return nil, err
			}
			if more {
				fmt.Fprintf(r.stderr, "list: the first %d sources; more match: narrow with --prefix or raise --limit\n", limit)
			}
			noteGroups(ctx, c, r.stderr)
			sources := inspectAll(ctx, c, r.conn.Namespace, runs)
			if paused {
				// The query may have found running sources too: without the search
				// attributes, or started before them. Keep the paused ones and those whose
				// state now is not known.
				sources = slices.DeleteFunc(sources, func(l listed) bool {
					_, known := l.SearchAttributes[searchattr.Paused]
					return !l.Paused && (l.StatusFrom == fromQuery || known)
				})
			}
			return sources, nil
		}, listText),
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().BoolVar(&paused, "paused", false, "only the paused sources (filtered by the "+searchattr.Paused+" search attribute where it exists)")
	cmd.Flags().BoolVar(&all, "all", false, "also the sources whose latest run has closed: completed, terminated, canceled, timed out or failed")
	cmd.Flags().StringVar(&prefix, "prefix", "", "only the sources whose workflow id starts with this")
	cmd.Flags().IntVar(&limit, "limit", defaultListLimit, "at most this many sources, in the order of the visibility store")
	cmd.Flags().StringVar(&group, "group", "", "list the sources of this group (workflows.CronGroup) instead, each from its status")
	return cmd
}

// listed is one source as list shows it.
type listed struct {
	WorkflowID string `json:"workflowId"`
	report
}

// listRuns finds the runs that query matches: for each workflow id, the latest, in the
// order of the visibility store, at most limit of them; more says that there are others.
func listRuns(ctx context.Context, c client.Client, query string, limit int) (runs []run, more bool, err error) {
	at := map[string]int{}
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, false, fmt.Errorf("list sources: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			r := run{info: e}
			i, seen := at[r.id()]
			switch {
			case !seen:
				at[r.id()] = len(runs)
				runs = append(runs, r)
			case e.GetStartTime().AsTime().After(runs[i].info.GetStartTime().AsTime()):
				runs[i] = r
			}
		}
		if len(runs) > limit {
			return runs[:limit], true, nil
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return runs, false, nil
		}
	}
}

// inspectAll inspects the runs, listInFlight at a time, within queryTimeout for all the
// queries together, so that many sources that do not answer do not add up: a source not
// asked by then shows what the server knows of it.
func inspectAll(ctx context.Context, c client.Client, namespace string, runs []run) []listed {
	out := make([]listed, len(runs))
	queries, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	inFlight(len(runs), func(i int) {
		r := runs[i]
		var rep report
		if queries.Err() != nil {
			rep = fallback(ctx, c, namespace, r, notAsked{})
		} else if st, err := queryStatus(queries, c, namespace, r); err != nil {
			rep = fallback(ctx, c, namespace, r, err)
		} else {
			rep = reportFromQuery(st, r)
		}
		out[i] = listed{WorkflowID: r.id(), report: rep}
	})
	return out
}

// inFlight calls f for 0 to n-1, listInFlight at a time, and returns once all have returned.
func inFlight(n int, f func(i int)) {
	slots := make(chan struct{}, listInFlight)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			f(i)
		})
	}
	wg.Wait()
}

// listText prints one line per source, then, for each source that did not answer, why.
func listText(w io.Writer, sources []listed) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tSTATE\tSCHEDULE\tSEQUENCE\tNEXT FIRE TIME\tSTATUS FROM")
	var notes []string
	for _, s := range sources {
		seq := fmt.Sprint(s.Sequence)
		if s.StatusFrom == fromServer {
			seq = "unknown"
			if s.AsOfRunStart != nil {
				seq = fmt.Sprintf("%d at run start", s.Sequence)
			}
			notes = append(notes, s.WorkflowID+": "+s.Note)
		}
		if s.SentAlone {
			notes = append(notes, s.WorkflowID+": "+sentAloneText())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.WorkflowID, s.State(), s.schedule(), seq, s.nextText(), s.StatusFrom)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

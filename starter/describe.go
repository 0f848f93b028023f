package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/workflows"
)

func newDescribeCommand(r *root) *cobra.Command {
	var id, group, output string
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show a source's configuration and progress, and how its workflow execution stands",
		Args:  cobra.NoArgs,
		RunE: readCommand(r, &output, func(ctx context.Context, c client.Client) (report, error) {
			if group != "" {
				return describeMember(ctx, c, group, id)
			}
			run, err := describeRun(ctx, c, id, "")
			switch {
			case err != nil:
				return report{}, err
			case isGroup(run):
				return report{}, groupError("describe", id)
			}
			return inspect(ctx, c, r.conn.Namespace, run), nil
		}, describeText),
	}
	cmd.Flags().StringVar(&id, "workflow-id", "hello-cron", "workflow id of the source")
	addGroupFlag(cmd.Flags(), &group)
	addOutputFlag(cmd, &output)
	return cmd
}

// describeText prints a report as aligned "name: value" lines. A status from the server puts
// what it read from the run's input under "as of the run's start".
func describeText(w io.Writer, rep report) error {
	rows := [][2]string{
		{"source", rep.WorkflowID},
		{"execution", rep.Execution},
		{"status from", statusFromText(rep)},
		{"state", rep.State()},
	}
	if rep.StatusFrom == fromQuery {
		rows = append(rows, configRows(rep.Status)...)
		rows = append(rows, progressRows(rep, true)...)
	} else {
		for _, sa := range []struct{ row, name string }{
			{"schedule", searchattr.Schedule}, {"sink", searchattr.Sink}, {"paused", searchattr.Paused},
			{"pause reason", searchattr.PauseReason},
		} {
			if v, ok := rep.SearchAttributes[sa.name]; ok {
				rows = append(rows, [2]string{sa.row, fmt.Sprintf("%v (%s)", v, sa.name)})
			}
		}
		if rep.Retry != nil {
			rows = append(rows, [2]string{"retrying", retryText(rep.Retry)})
		}
		rows = append(rows, [2]string{"next fire time", rep.nextText()})
		if rep.AsOfRunStart != nil {
			rows = append(rows, [2]string{"as of the run's start", timeText(*rep.AsOfRunStart)})
			for _, row := range append(configRows(rep.Status), progressRows(rep, false)...) {
				rows = append(rows, [2]string{"  " + row[0], row[1]})
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for _, row := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

func statusFromText(rep report) string {
	if rep.Note == "" {
		return rep.StatusFrom
	}
	return rep.StatusFrom + " (" + rep.Note + ")"
}

// configRows are a status's configuration.
func configRows(st workflows.Status) [][2]string {
	catchup := st.Catchup
	if st.CatchupWindow != "" {
		catchup += ", within " + st.CatchupWindow
	}
	rows := [][2]string{
		{"schedule", st.Schedule()},
		{"catch-up", catchup},
		{"jitter", orText(st.Jitter, "none")},
		{"type", st.Type},
		{"ce source", st.Source},
	}
	if st.Subject != "" {
		rows = append(rows, [2]string{"subject", st.Subject})
	}
	if len(st.Extensions) > 0 {
		rows = append(rows, [2]string{"extensions", workflows.ExtensionsText(st.Extensions)})
	}
	rows = append(rows, [][2]string{
		{"sink", workflows.WithCredential(orText(st.Sink, "(the worker's)"), st.SinkCredential)},
		{"dead-letter sink", workflows.WithCredential(orText(st.DeadLetterSink, "none"), st.DeadLetterSinkCredential)},
		{"delivery", st.Delivery.Text()},
		{"pause on failure", pauseOnFailureText(st)},
	}...)
	if st.SentAlone {
		rows = append(rows, [2]string{"in its group", sentAloneText()})
	}
	return rows
}

// sentAloneText says why a group's member sends its ticks alone, and until when.
func sentAloneText() string {
	return fmt.Sprintf("ticks sent alone: the sink did not answer within a batch's %v; "+
		"back in the batches once it answers within %v", contract.BatchBudget, contract.BatchBudget/2)
}

func pauseOnFailureText(st workflows.Status) string {
	if st.PauseOnFailure == 0 {
		return "never"
	}
	return fmt.Sprintf("after %d ticks in a row rejected or undeliverable (%d now)", st.PauseOnFailure, st.FailuresInARow)
}

// progressRows are a report's sequence, tick in flight and counts; with the next fire times
// if live, the source having answered.
func progressRows(rep report, live bool) [][2]string {
	st := rep.Status
	rows := [][2]string{
		{"last sequence", fmt.Sprint(st.Sequence)},
		{"in flight", inFlightText(st.InFlight)},
	}
	if st.StopBy != nil && !st.Finished {
		rows = append(rows, [2]string{"stop by", st.StopBy.Format(time.RFC3339Nano) + " (then the tick in flight is abandoned)"})
	}
	if live {
		if rep.Retry != nil {
			rows = append(rows, [2]string{"retrying", retryText(rep.Retry)})
		}
		var next []string
		for _, t := range st.NextFireTimes {
			next = append(next, t.Format(time.RFC3339Nano))
		}
		rows = append(rows, [2]string{"next fire time", rep.nextText()},
			[2]string{"next fire times", orText(strings.Join(next, ", "), "none")})
	}
	return append(rows, [][2]string{
		{"delivered", fmt.Sprint(st.Delivered)},
		{"retried", fmt.Sprint(st.Retried)},
		{"rejected", fmt.Sprint(st.Rejected)},
		{"last rejection", rejectionText(st.LastRejection, "by")},
		{"undeliverable", fmt.Sprint(st.Undeliverable)},
		{"last undeliverable", rejectionText(st.LastUndeliverable, "to")},
		{"dead-lettered", fmt.Sprint(st.DeadLettered)},
		{"caught up", fmt.Sprint(st.CaughtUp)},
		{"skipped", fmt.Sprint(st.Skipped)},
		{"abandoned", fmt.Sprint(st.Abandoned)},
		{"backfills", backfillText(st.Backfills)},
		{"recent ticks", recentText(st.RecentTicks)},
	}...)
}

// backfillText lists the backfills waiting: "2026-…Z to 2026-…Z: 3 of 10 sent".
func backfillText(backfills []workflows.BackfillStatus) string {
	if len(backfills) == 0 {
		return "none"
	}
	parts := make([]string, len(backfills))
	for i, b := range backfills {
		parts[i] = fmt.Sprintf("%s to %s: %d of %d sent", b.From.Format(time.RFC3339Nano), b.To.Format(time.RFC3339Nano), b.Sent, b.Total)
	}
	return strings.Join(parts, "; ")
}

// recentText lists the recent ticks, newest first, one per line: "12 delivered at 10:00:01.002
// (due 10:00:01, 1 attempt) id ...", then the error if any.
func recentText(ticks []workflows.TickRecord) string {
	if len(ticks) == 0 {
		return "none"
	}
	var lines []string
	for i := len(ticks) - 1; i >= 0; i-- {
		r := ticks[i]
		attempts := "attempts unknown"
		if r.Attempts > 0 {
			attempts = fmt.Sprintf("%d attempt(s) from %s", r.Attempts, r.FirstAttempt.Format(time.RFC3339Nano))
		}
		line := fmt.Sprintf("\n  %d %s at %s (due %s, %s) id %s", r.Sequence, r.Outcome, r.LastAttempt.Format(time.RFC3339Nano),
			r.Time.Format(time.RFC3339Nano), attempts, r.ID)
		if r.LastError != "" {
			line += ": " + r.LastError
		}
		lines = append(lines, line)
	}
	return fmt.Sprintf("%d, newest first%s", len(ticks), strings.Join(lines, ""))
}

func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// rejectionText is the last rejection in a line: "tick 7 (id ...) by https://...: reason".
func rejectionText(r *workflows.RejectionStatus, by string) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("tick %d (id %s) %s %s: %s", r.Sequence, r.ID, by, orText(r.Sink, "the worker's sink"), r.Reason)
}

func inFlightText(t *workflows.TickStatus) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprintf("tick %d (id %s, time %s)", t.Sequence, t.ID, t.Time.Format(time.RFC3339Nano))
}

// retryText is the pending activity in a few words: "attempt 3 of Deliver, last failed at ...:
// sink answered 503 Service Unavailable; next at ...".
func retryText(r *retry) string {
	if r == nil {
		return "none"
	}
	s := fmt.Sprintf("attempt %d of %s", r.Attempt, r.Activity)
	if r.LastFailure != "" {
		s += ", last failed"
		if r.LastAttemptTime != nil {
			s += " at " + timeText(*r.LastAttemptTime)
		}
		s += ": " + r.LastFailure
	}
	if r.NextAttemptTime != nil {
		s += "; next at " + timeText(*r.NextAttemptTime)
	}
	return s
}

package main

// Sources in a group (workflows.CronGroup): each command given --group addresses the source by
// its id within the group's workflow, not by a workflow of its own.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/workflows"
)

// groupType is the workflow type of a group: workflows.CronGroup, as workers register it.
const groupType = "CronGroup"

// groupsQuery finds the running groups.
const groupsQuery = "WorkflowType = '" + groupType + "' AND ExecutionStatus = 'Running'"

// isGroup: run r is a group's, which the commands of a source of its own do not address.
func isGroup(r run) bool { return r.info.GetType().GetName() == groupType }

// groupError says that id, given as a source's --workflow-id to the command what, is a group.
func groupError(what, id string) error {
	return fmt.Errorf("%s source %q: it is a group of sources: give --group %s and the source's --workflow-id (list --group %s lists them)",
		what, id, id, id)
}

// noteGroups tells out which groups run, if any: list without --group shows only the sources of
// their own.
func noteGroups(ctx context.Context, c client.Client, out io.Writer) {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: groupsQuery, PageSize: 5})
	if err != nil || len(resp.GetExecutions()) == 0 {
		return
	}
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	more := ""
	if len(resp.GetNextPageToken()) > 0 {
		more = " and more"
	}
	fmt.Fprintf(out, "list: groups of sources run too (%s%s): list --group <id> lists a group's sources\n", strings.Join(ids, ", "), more)
}

// addGroupFlag adds --group, the workflow id of the group that holds the source.
func addGroupFlag(fs *pflag.FlagSet, group *string) {
	fs.StringVar(group, "group", "", "workflow id of the group that runs the source (workflows.CronGroup), for fleets whose "+
		"sources fire at the same times; --workflow-id is then the source's id in the group")
}

// joinGroup starts the source id with in as a member of group, starting the group if it is not
// running, or finds the source running there and changes nothing.
func (r *root) joinGroup(ctx context.Context, group, id string, in workflows.Input) error {
	c, err := r.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return r.join(ctx, c, r.stdout, group, id, in)
}

// join is joinGroup on the client c, printing to out.
func (r *root) join(ctx context.Context, c client.Client, out io.Writer, group, id string, in workflows.Input) error {
	req := workflows.JoinRequest{ID: id, Config: in.Config, Paused: in.State.Paused, PauseReason: in.State.PauseReason}
	start := c.NewWithStartWorkflowOperation(workflows.GroupStartOptions(group, r.conn.TaskQueue), workflows.CronGroup, workflows.GroupInput{})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateID: newUpdateID(), UpdateName: workflows.UpdateJoin, Args: []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted}})
	var st workflows.Status
	if err == nil {
		err = h.Get(ctx, &st)
	}
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.Type() == workflows.ErrAlreadyMember:
		fmt.Fprintf(out, "source %q is already running in group %q; nothing changed\n", id, group)
		return nil
	case err != nil:
		return fmt.Errorf("start source %q in group %q: %s", id, group, oneLine(err))
	}
	state := ""
	if st.Paused {
		state = ", paused: resume starts it"
	}
	fmt.Fprintf(out, "started source %q in group %q %s%s\n", id, group, in.Config.Schedule(), state)
	return nil
}

// applyMember is apply for a source in a group: it joins the group if the group does not run the
// source, else it sends the settings that differ from those the group records for it, as an
// update that waits up to wait for a worker (a group takes no signal: without a worker, apply
// fails and can be run again).
func (r *root) applyMember(ctx context.Context, c client.Client, out io.Writer, spec sourceSpec, wait time.Duration) (string, error) {
	var rec *workflows.RecordedConfig
	err := queryGroup(ctx, c, spec.group, workflows.QueryConfig, &rec, spec.id)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound) || err == nil && rec == nil:
		return applyStarted, r.join(ctx, c, out, spec.group, spec.id, spec.in)
	case err != nil:
		return "", fmt.Errorf("apply source %q in group %q: %s", spec.id, spec.group, oneLine(err))
	}
	diff := rec.Diff(spec.in.Config)
	for _, ch := range diff.StartOnly {
		fmt.Fprintf(out, "source %q in group %q: %s only applies when a source starts; left as it is (%s, spec %s)\n",
			spec.id, spec.group, ch.Field, ch.From, ch.To)
	}
	if diff.Patch.Empty() {
		fmt.Fprintf(out, "source %q in group %q is up to date; nothing changed\n", spec.id, spec.group)
		return applyUnchanged, nil
	}
	uctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var st workflows.Status
	err = sendUpdate(uctx, c, client.UpdateWorkflowOptions{WorkflowID: spec.group, UpdateName: workflows.UpdateConfig,
		Args: memberArgs(spec.id, []any{diff.Patch}), WaitForStage: client.WorkflowUpdateStageCompleted}, &st)
	if err != nil {
		return "", fmt.Errorf("apply source %q in group %q: %s", spec.id, spec.group, oneLine(err))
	}
	fmt.Fprintf(out, "source %q in group %q: updated %s\n", spec.id, spec.group, changesText(diff.Changes))
	return applyUpdated, nil
}

// inGroup names a source's group in a message: ` in group "g"`, or nothing for a source of its own.
func inGroup(group string) string {
	if group == "" {
		return ""
	}
	return fmt.Sprintf(" in group %q", group)
}

// describeMember is the report of the source id in group, from its status query.
func describeMember(ctx context.Context, c client.Client, group, id string) (report, error) {
	r, err := describeRun(ctx, c, group, "")
	if err != nil {
		return report{}, err
	}
	st, err := queryMember(ctx, c, group, id)
	if err != nil {
		return report{}, err
	}
	return memberReport(st, r), nil
}

// memberReport is the report of a member from its status st and its group's run r. It has no
// retry: the group's pending activity may be another member's.
func memberReport(st workflows.Status, r run) report {
	rep := reportFromQuery(st, r)
	rep.Retry = nil
	return rep
}

// queryMember asks group for the status of its member id, for at most queryTimeout.
func queryMember(ctx context.Context, c client.Client, group, id string) (workflows.Status, error) {
	var st workflows.Status
	err := queryGroup(ctx, c, group, workflows.QueryStatus, &st, id)
	if err != nil {
		return st, fmt.Errorf("describe source %q in group %q: %s", id, group, oneLine(err))
	}
	return st, nil
}

// queryGroup runs the query name with args on group and decodes its answer into result.
func queryGroup(ctx context.Context, c client.Client, group, name string, result any, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v, err := c.QueryWorkflow(ctx, group, "", name, args...)
	if err != nil {
		return err
	}
	return v.Get(result)
}

// listMembers lists the sources of group, each from its status query, listInFlight at a time.
func listMembers(ctx context.Context, c client.Client, group string) ([]listed, error) {
	r, err := describeRun(ctx, c, group, "")
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := queryGroup(ctx, c, group, workflows.QueryMembers, &ids); err != nil {
		return nil, fmt.Errorf("list the sources of group %q: %s", group, oneLine(err))
	}
	out := make([]listed, len(ids))
	errs := make([]error, len(ids))
	inFlight(len(ids), func(i int) {
		st, err := queryMember(ctx, c, group, ids[i])
		out[i], errs[i] = listed{WorkflowID: ids[i], report: memberReport(st, r)}, err
	})
	return out, errors.Join(errs...)
}

// memberArgs are an update's arguments for a member of a group: its id first.
func memberArgs(id string, args []any) []any { return append([]any{id}, args...) }

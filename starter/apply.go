package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hello-cron/cronsource/workflows"
)

// applyFlags are the flags of `apply` besides a source's.
type applyFlags struct {
	file          string
	waitForWorker time.Duration
	concurrency   int
}

func newApplyCommand(r *root) *cobra.Command {
	var (
		src sourceFlags
		af  applyFlags
	)
	cmd := &cobra.Command{
		Use: "apply",
		Short: "Bring sources to their spec: start those that do not run, and change in a running one exactly the " +
			"settings that differ",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			specs, err := af.specs(cmd, &src, r)
			if err != nil {
				return err
			}
			c, err := r.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			if len(specs) == 1 {
				_, err := r.apply(cmd.Context(), c, r.stdout, specs[0], af.waitForWorker)
				return err
			}
			return r.applyAll(cmd.Context(), c, specs, af)
		},
	}
	fs := cmd.Flags()
	src.add(fs)
	fs.StringVarP(&af.file, "filename", "f", "", "file of sources, YAML or JSON, one or a list, with start's flag names as keys (\"-\": standard input)")
	fs.DurationVar(&af.waitForWorker, "wait-for-worker", 30*time.Second,
		"how long a change waits for a worker to take it; then it goes as a signal, which the source takes once a worker runs")
	fs.IntVar(&af.concurrency, "concurrency", defaultConcurrency, "with --filename: how many sources are applied at once")
	return cmd
}

// specs are the sources to apply: those of --filename, or the one the flags describe.
func (af applyFlags) specs(cmd *cobra.Command, src *sourceFlags, r *root) ([]sourceSpec, error) {
	if af.waitForWorker <= 0 {
		return nil, fmt.Errorf("invalid --wait-for-worker %s: must be positive", af.waitForWorker)
	}
	if af.concurrency < 1 || af.concurrency > maxConcurrency {
		return nil, fmt.Errorf("invalid --concurrency %d: must be from 1 to %d", af.concurrency, maxConcurrency)
	}
	now := time.Now()
	if af.file == "" {
		in, err := src.input(cmd.Flags(), r.lookupEnv, now)
		return []sourceSpec{{id: src.id, group: src.group, in: in}}, err
	}
	var given error
	own := cmd.LocalNonPersistentFlags()
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if given == nil && own.Lookup(f.Name) != nil && !slices.Contains([]string{"filename", "wait-for-worker", "allowed-sinks", "concurrency"}, f.Name) {
			given = fmt.Errorf("invalid --%s: cannot be used with --filename, whose sources give every setting", f.Name)
		}
	})
	if given != nil {
		return nil, given
	}
	allowed := ""
	if cmd.Flags().Changed("allowed-sinks") {
		allowed = src.sched.allowedSinks
	}
	if af.file == "-" {
		return readSpecs("standard input", cmd.InOrStdin(), allowed, r.lookupEnv, now)
	}
	f, err := os.Open(af.file)
	if err != nil {
		return nil, fmt.Errorf("invalid --filename: %w", err)
	}
	defer f.Close()
	return readSpecs(af.file, f, allowed, r.lookupEnv, now)
}

// What apply did to a source.
const (
	applyStarted   = "started"
	applyUpdated   = "updated"
	applySignalled = "signalled"
	applyUnchanged = "up to date"
)

// apply brings one source to its spec: it starts it if it does not run, else it changes the
// settings that differ from those the source records; it prints what it did to out and returns
// it. A source that another apply starts meanwhile (replicas starting at once) is compared like
// any running one.
func (r *root) apply(ctx context.Context, c client.Client, out io.Writer, spec sourceSpec, wait time.Duration) (string, error) {
	if spec.group != "" {
		return r.applyMember(ctx, c, out, spec, wait)
	}
	run, err := describeRun(ctx, c, spec.id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) || err == nil && run.status() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		running, err := r.start(ctx, c, out, spec.id, spec.in)
		if err != nil || running == "" {
			return applyStarted, err
		}
		run, err = describeRun(ctx, c, spec.id, "")
	}
	if err != nil {
		return "", fmt.Errorf("apply source %q: %w", spec.id, err)
	}
	diff, recorded, err := diffRun(run, spec.in.Config)
	if err != nil {
		return "", fmt.Errorf("apply source %q: %w", spec.id, err)
	}
	for _, ch := range diff.StartOnly {
		fmt.Fprintf(out, "source %q: %s only applies when a source starts; left as it is (%s, spec %s)\n",
			spec.id, ch.Field, ch.From, ch.To)
	}
	if diff.Patch.Empty() {
		fmt.Fprintf(out, "source %q is up to date; nothing changed\n", spec.id)
		return applyUnchanged, nil
	}
	what := "every setting, since it records none (started before apply existed)"
	if recorded {
		what = changesText(diff.Changes)
	}
	signalled, err := sendPatch(ctx, c, spec.id, diff.Patch, wait)
	switch {
	case err != nil:
		return "", fmt.Errorf("apply source %q: %s", spec.id, oneLine(err))
	case signalled:
		fmt.Fprintf(out, "source %q: no worker took the change within %s; sent it as a signal, which the source "+
			"takes once a worker runs: %s\n", spec.id, wait, what)
		return applySignalled, nil
	}
	fmt.Fprintf(out, "source %q: updated %s\n", spec.id, what)
	return applyUpdated, nil
}

// diffRun compares a running source's memo with cfg. A source without the memo gets a patch of
// every setting, and recorded false.
func diffRun(run run, cfg workflows.Config) (workflows.ConfigDiff, bool, error) {
	p := run.info.GetMemo().GetFields()[workflows.MemoConfig]
	if p == nil {
		return workflows.ConfigDiff{Patch: workflows.FullPatch(cfg)}, false, nil
	}
	var rec workflows.RecordedConfig
	if err := converter.GetDefaultDataConverter().FromPayload(p, &rec); err != nil {
		return workflows.ConfigDiff{}, false, fmt.Errorf("read its memo %q: %w", workflows.MemoConfig, err)
	}
	return rec.Diff(cfg), true, nil
}

func changesText(changes []workflows.Change) string {
	parts := make([]string, len(changes))
	for i, ch := range changes {
		parts[i] = ch.String()
	}
	return strings.Join(parts, ", ")
}

// sendPatch sends the patch as an update, waiting up to wait for a worker to take it. If none
// does, it sends it as a signal (SignalApply), which Temporal keeps until a worker runs the
// source, and reports signalled. Should the update be taken later after all, the source applies
// the same patch twice, which changes nothing the second time.
func sendPatch(ctx context.Context, c client.Client, id string, p workflows.ConfigPatch, wait time.Duration) (signalled bool, err error) {
	uctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var st workflows.Status
	err = sendUpdate(uctx, c, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.UpdateConfig,
		Args: []any{p}, WaitForStage: client.WorkflowUpdateStageCompleted}, &st)
	var waited *client.WorkflowUpdateServiceTimeoutOrCanceledError
	if err == nil || ctx.Err() != nil || !errors.As(err, &waited) && !errors.Is(uctx.Err(), context.DeadlineExceeded) {
		return false, err
	}
	if err := c.SignalWorkflow(ctx, id, "", workflows.SignalApply, p); err != nil {
		return false, fmt.Errorf("signal %s: %w", workflows.SignalApply, err)
	}
	return true, nil
}

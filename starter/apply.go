package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
			var failed []string
			for _, spec := range specs {
				if err := r.apply(cmd.Context(), c, spec, af.waitForWorker); err != nil {
					if len(specs) == 1 {
						return err
					}
					fmt.Fprintln(r.stderr, err)
					failed = append(failed, spec.id)
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d of %d sources not applied: %s", len(failed), len(specs), strings.Join(failed, ", "))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	src.add(fs)
	fs.StringVarP(&af.file, "filename", "f", "", "file of sources, YAML or JSON, one or a list, with start's flag names as keys (\"-\": standard input)")
	fs.DurationVar(&af.waitForWorker, "wait-for-worker", 30*time.Second,
		"how long a change waits for a worker to take it; then it goes as a signal, which the source takes once a worker runs")
	return cmd
}

// specs are the sources to apply: those of --filename, or the one the flags describe.
func (af applyFlags) specs(cmd *cobra.Command, src *sourceFlags, r *root) ([]sourceSpec, error) {
	if af.waitForWorker <= 0 {
		return nil, fmt.Errorf("invalid --wait-for-worker %s: must be positive", af.waitForWorker)
	}
	now := time.Now()
	if af.file == "" {
		in, err := src.input(cmd.Flags(), r.lookupEnv, now)
		return []sourceSpec{{id: src.id, in: in}}, err
	}
	var given error
	own := cmd.LocalNonPersistentFlags()
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if given == nil && own.Lookup(f.Name) != nil && f.Name != "filename" && f.Name != "wait-for-worker" && f.Name != "allowed-sinks" {
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

// apply brings one source to its spec: it starts it if it does not run, else it changes the
// settings that differ from those the source records, and prints what it did. A source that
// another apply starts meanwhile (replicas starting at once) is compared like any running one.
func (r *root) apply(ctx context.Context, c client.Client, spec sourceSpec, wait time.Duration) error {
	run, err := describeRun(ctx, c, spec.id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) || err == nil && run.status() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		running, err := r.start(ctx, c, spec.id, spec.in)
		if err != nil || running == "" {
			return err
		}
		run, err = describeRun(ctx, c, spec.id, "")
	}
	if err != nil {
		return fmt.Errorf("apply source %q: %w", spec.id, err)
	}
	diff, recorded, err := diffRun(run, spec.in.Config)
	if err != nil {
		return fmt.Errorf("apply source %q: %w", spec.id, err)
	}
	for _, ch := range diff.StartOnly {
		fmt.Fprintf(r.stdout, "source %q: %s only applies when a source starts; left as it is (%s, spec %s)\n",
			spec.id, ch.Field, ch.From, ch.To)
	}
	if diff.Patch.Empty() {
		fmt.Fprintf(r.stdout, "source %q is up to date; nothing changed\n", spec.id)
		return nil
	}
	what := "every setting, since it records none (started before apply existed)"
	if recorded {
		what = changesText(diff.Changes)
	}
	signalled, err := sendPatch(ctx, c, spec.id, diff.Patch, wait)
	switch {
	case err != nil:
		return fmt.Errorf("apply source %q: %s", spec.id, oneLine(err))
	case signalled:
		fmt.Fprintf(r.stdout, "source %q: no worker took the change within %s; sent it as a signal, which the source "+
			"takes once a worker runs: %s\n", spec.id, wait, what)
	default:
		fmt.Fprintf(r.stdout, "source %q: updated %s\n", spec.id, what)
	}
	return nil
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

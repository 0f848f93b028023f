package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/temporalclient"
	"github.com/hello-cron/cronsource/internal/version"
)

// root holds what every subcommand shares: the connection and the output.
type root struct {
	conn           temporalclient.Options
	connectTimeout time.Duration
	log            logging.Options
	lookupEnv      func(string) (string, bool)
	stdout, stderr io.Writer
	// registered remembers, for the command's run, which search attributes the namespace has:
	// a bulk apply asks once, not once per source.
	registered struct {
		once        sync.Once
		all, reason bool
	}
}

// searchAttributes says, once per run, whether the namespace has the search attributes that
// sources keep (searchAttributesRegistered).
func (r *root) searchAttributes(ctx context.Context, c client.Client) (all, reason bool) {
	r.registered.once.Do(func() {
		r.registered.all, r.registered.reason = searchAttributesRegistered(ctx, c, r.conn.Namespace)
	})
	return r.registered.all, r.registered.reason
}

func newRootCommand(lookupEnv func(string) (string, bool), stdout, stderr io.Writer) *cobra.Command {
	r := &root{lookupEnv: lookupEnv, stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Version:       version.String(),
		Use:           "starter",
		Short:         "Start, control and inspect cron sources",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := envflag.Apply(cmd.Flags(), lookupEnv); err != nil {
				return err
			}
			if f := cmd.Flags().Lookup("workflow-id"); f != nil {
				if err := checkID("workflow-id", f.Value.String()); err != nil {
					return err
				}
			}
			if f := cmd.Flags().Lookup("group"); f != nil && f.Changed {
				if err := checkID("group", f.Value.String()); err != nil {
					return err
				}
			}
			return r.conn.Validate(cmd.Flags(), lookupEnv)
		},
	}
	pf := cmd.PersistentFlags()
	r.conn.AddFlags(pf)
	pf.DurationVar(&r.connectTimeout, "connect-timeout", 60*time.Second, "how long to wait for the Temporal server to answer")
	r.log.AddFlags(pf, "warn")
	cmd.AddCommand(newStartCommand(r), newApplyCommand(r), newDescribeCommand(r), newListCommand(r))
	cmd.AddCommand(controlCommands(r)...)
	return cmd
}

// dial connects, waiting up to --connect-timeout for the server.
func (r *root) dial(ctx context.Context) (client.Client, error) {
	logger, err := r.log.New(r.stderr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.connectTimeout)
	defer cancel()
	return r.conn.Dial(ctx, logger.With(zap.String("command", "starter")))
}

// addOutputFlag adds the --output of describe and list.
func addOutputFlag(cmd *cobra.Command, output *string) {
	cmd.Flags().StringVarP(output, "output", "o", "text", "text or json")
}

// readCommand is the RunE of a command that reads sources and prints them: it checks --output,
// connects, reads, and prints what it read as JSON or with text.
func readCommand[T any](r *root, output *string, read func(context.Context, client.Client) (T, error),
	text func(io.Writer, T) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if *output != "text" && *output != "json" {
			return fmt.Errorf("invalid --output %q: must be text or json", *output)
		}
		c, err := r.dial(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		v, err := read(cmd.Context(), c)
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSON(r.stdout, v)
		}
		return text(r.stdout, v)
	}
}

// writeJSON prints v as indented JSON, for --output json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Package cli runs a binary's root command: SIGINT and SIGTERM cancel its context, and an error
// ends the process with one line on stderr and exit status 1.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Main runs cmd and exits 1 on error, printing "<name>: <error>".
func Main(name string, cmd *cobra.Command) {
	if err := Run(cmd); err != nil {
		report(os.Stderr, name, err)
		os.Exit(1)
	}
}

// Run executes cmd with a context that SIGINT and SIGTERM cancel.
func Run(cmd *cobra.Command) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd.ExecuteContext(ctx)
}

func report(w io.Writer, name string, err error) {
	fmt.Fprintf(w, "%s: %v\n", name, err)
}

// Command devserver is our temporalite: a whole Temporal server on one SQLite file, so that
// every source survives restarts with no Docker and no external services.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newCommand(os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

// Command starter starts a cron source idempotently and shows how it is doing.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // --timezone works the same on every machine and in FROM scratch images
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand(os.LookupEnv, os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

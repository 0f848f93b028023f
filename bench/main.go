// Command bench measures the cron source against its baselines on this machine: capacity,
// precision, history cost, recovery and footprint, with a plain Go ticker and the stock
// dev-server settings side by side. `make bench` runs it; it prints a table and writes JSON.
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
	if err := newCommand().ExecuteContext(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

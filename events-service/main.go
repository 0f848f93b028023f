// Command events-service is the hello-events sink: an HTTP server that greets on GET / and
// logs every CloudEvent POSTed to / (binary or structured mode), so the cron source's
// deliveries can be watched. It processes each recently seen source+id once and answers
// redeliveries Duplicate. It links no Temporal code.
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
	err := newRootCommand(os.LookupEnv, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "events-service: %v\n", err)
		os.Exit(1)
	}
}

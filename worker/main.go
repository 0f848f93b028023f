// Command worker is the Temporal worker of the cron source: it runs the source workflows and
// delivers their ticks to the sink. It follows the Knative ContainerSource contract: K_SINK,
// K_CE_OVERRIDES, K_CA_CERTS, the OIDC token at /oidc/token, and SINK or --sink.
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
	if err := newCommand(os.LookupEnv, os.Stderr).ExecuteContext(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

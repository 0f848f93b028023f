// Command worker is the Temporal worker of the cron source: it runs the source workflows and
// delivers their ticks to the sink. It follows the Knative ContainerSource contract: K_SINK,
// K_CE_OVERRIDES, K_CA_CERTS, the OIDC token at /oidc/token, and SINK or --sink.
package main

import (
	"os"
	_ "time/tzdata" // --timezone works the same on every machine and in FROM scratch images

	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("worker", newCommand(os.LookupEnv, os.Stderr))
}

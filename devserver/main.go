// Command devserver is our temporalite: a whole Temporal server on one SQLite file, so that
// every source survives restarts with no Docker and no external services. It serves the Temporal
// Web UI beside it, like `temporal server start-dev`, unless --headless.
package main

import (
	"os"

	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("devserver", newCommand(os.Stdout, os.Stderr))
}

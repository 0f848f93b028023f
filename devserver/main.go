// Command devserver is our temporalite: a whole Temporal server on one SQLite file, so that
// every source survives restarts with no Docker and no external services.
package main

import (
	"os"

	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("devserver", newCommand(os.Stdout, os.Stderr))
}

// Command starter starts a cron source idempotently and shows how it is doing.
package main

import (
	"os"
	_ "time/tzdata" // --timezone works the same on every machine and in FROM scratch images

	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("starter", newRootCommand(os.LookupEnv, os.Stdout, os.Stderr))
}

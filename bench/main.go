// Command bench measures the cron source against its baselines on this machine: capacity,
// precision, history cost, recovery and footprint, with a plain Go ticker and the stock
// dev-server settings side by side. `make bench` runs it; it prints a table and writes JSON.
package main

import (
	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("bench", newCommand())
}

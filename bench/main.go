// Command bench measures the cron source against its baselines on this machine: capacity,
// precision, history cost, recovery and footprint, with the stock dev-server settings, Temporal
// Schedules and a plain Go ticker side by side, and on a local two-node Temporal cluster
// (scripts/cluster.sh). `make bench` runs it; it prints a table and
// writes JSON.
package main

import (
	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("bench", newCommand())
}

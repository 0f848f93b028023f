// Command cluster-setup readies a Temporal cluster for hello-cron sources, for scripts/cluster.sh:
// it waits until every node's frontend serves, creates the namespace if it is missing, registers
// our search attributes (internal/searchattr) once, and returns when every node sees both. It
// links the SDK only, and does what `temporal operator namespace create` and `temporal operator
// search-attribute create` would, since that CLI is not at hand where the script runs.
package main

import (
	"os"

	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("cluster-setup", newCommand(os.Stderr))
}

// Command events-service is the hello-events sink: an HTTP server that greets on GET / and
// logs every CloudEvent POSTed to / (binary or structured mode), so the cron source's
// deliveries can be watched. It processes each recently seen source+id once and answers
// redeliveries Duplicate; /metrics counts both. It bounds the POSTs in flight and the body
// bytes they buffer, and answers 503 with Retry-After beyond either. It links no Temporal code.
package main

import (
	"os"

	"github.com/hello-cron/cronsource/internal/cli"
)

func main() {
	cli.Main("events-service", newRootCommand(os.LookupEnv, os.Stdout, os.Stderr))
}

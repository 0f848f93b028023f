package health

import (
	"context"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

// Probe asks url once and fails unless it answers 200.
func Probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("invalid --url %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s", url, resp.Status)
	}
	return nil
}

// Command is the `health` subcommand of a binary whose image has no shell or curl: a compose
// healthcheck runs `<binary> health`, which probes the running process's /readyz.
func Command(defaultURL string) *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 if the process serving --url is ready (for container healthchecks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Probe(cmd.Context(), url)
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultURL, "readiness URL to probe")
	return cmd
}

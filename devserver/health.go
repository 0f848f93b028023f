package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// newHealthCommand is `devserver health`, for container healthchecks in an image with no
// shell: it exits 0 once the frontend at --address answers Temporal's health check.
func newHealthCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 if the Temporal frontend at --address is serving (for container healthchecks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			c, err := client.DialContext(ctx, client.Options{HostPort: addr,
				Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
			if err != nil {
				return fmt.Errorf("temporal at %s: %w", addr, err)
			}
			defer c.Close()
			if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
				return fmt.Errorf("temporal at %s: %w", addr, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "address", "127.0.0.1:7233", "frontend host:port")
	return cmd
}

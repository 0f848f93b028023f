package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// updateAttempts bounds how often sendUpdate tries: a workflow task that keeps failing is a bug
// to report, not to wait out.
const updateAttempts = 8

// sendUpdate sends an update and waits for its result. An update that reaches the source in a
// workflow task that then fails (it raced a continue-as-new, say) comes back WorkflowNotReady
// without having been taken, so it is sent again, with the same update id: were it taken after
// all, the server answers the retry with the first result instead of running it twice.
func sendUpdate(ctx context.Context, c client.Client, opts client.UpdateWorkflowOptions, result any) error {
	if opts.UpdateID == "" {
		opts.UpdateID = newUpdateID()
	}
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		handle, err := c.UpdateWorkflow(ctx, opts)
		if err == nil {
			err = handle.Get(ctx, result)
		}
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || attempt == updateAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func newUpdateID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

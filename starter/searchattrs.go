package main

import (
	"context"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hello-cron/cronsource/internal/searchattr"
)

// searchAttributeTimeout bounds the check for the search attributes.
const searchAttributeTimeout = 5 * time.Second

// searchAttributesRegistered asks whether the namespace has the search attributes of
// internal/searchattr with their types: all reports the three that every source keeps, reason
// searchattr.PauseReason as well. Any error counts as no: Temporal Cloud, for one, may deny the
// OperatorService call to an API key that can start workflows.
func searchAttributesRegistered(ctx context.Context, c client.Client, namespace string) (all, reason bool) {
	ctx, cancel := context.WithTimeout(ctx, searchAttributeTimeout)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	registered := resp.GetCustomAttributes()
	all = err == nil && len(searchattr.Missing(registered)) == 0
	return all, all && registered[searchattr.PauseReason] == searchattr.Types()[searchattr.PauseReason]
}

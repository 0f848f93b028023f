package main

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// updateClient answers UpdateWorkflow with errs, one per call, then with success.
type updateClient struct {
	client.Client // the rest panics if called
	errs          []error
	ids           []string
}

func (c *updateClient) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c.ids = append(c.ids, opts.UpdateID)
	if n := len(c.ids); n <= len(c.errs) {
		return nil, c.errs[n-1]
	}
	return doneHandle{}, nil
}

type doneHandle struct{ client.WorkflowUpdateHandle }

func (doneHandle) Get(context.Context, any) error { return nil }

func TestSendUpdateRetriesOnlyWhatTheServerDidNotTake(t *testing.T) {
	notReady := serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to unexpected workflow task failure.")
	refused := errors.New("invalid --interval")
	many := make([]error, updateAttempts+2)
	for i := range many {
		many[i] = notReady
	}
	for _, tc := range []struct {
		name      string
		errs      []error
		wantErr   error
		wantCalls int
	}{
		{"taken at once", nil, nil, 1},
		{"workflow task failed twice", []error{notReady, notReady}, nil, 3},
		{"refused", []error{refused}, refused, 1},
		{"never ready", many, notReady, updateAttempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &updateClient{errs: tc.errs}
			err := sendUpdate(context.Background(), c, client.UpdateWorkflowOptions{WorkflowID: "w", UpdateName: "trigger"}, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if len(c.ids) != tc.wantCalls {
				t.Errorf("%d calls, want %d", len(c.ids), tc.wantCalls)
			}
			for _, id := range c.ids {
				if id == "" || id != c.ids[0] {
					t.Errorf("update ids %v: want one id, the same on every call", c.ids)
					break
				}
			}
		})
	}
}

package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// DeliverBatch posts each tick's event to its sink once, all at the same time, and returns each
// one's outcome in the ticks' order: what Deliver would have returned for it. It is how a group
// of sources sends the ticks due at one instant in one local activity. A sink that has not
// answered within contract.BatchBudget is given up on for this batch, with ErrSlowInBatch, so that
// it cannot hold the other ticks' outcomes. DeliverBatch fails only as a whole, when the
// activity's context ends first; a group bounds how many ticks a batch holds.
func (a *Activities) DeliverBatch(ctx context.Context, ticks []contract.Tick) ([]contract.BatchOutcome, error) {
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, a.batchBudget)
	defer cancel()
	outcomes := make([]contract.BatchOutcome, len(ticks))
	var wg sync.WaitGroup
	for i, t := range ticks {
		wg.Go(func() {
			receipt, err := a.Deliver(bctx, t)
			// However it failed (the budget, or an HTTP timeout as long), it took the budget.
			if err != nil && !contract.IsRejected(err) && ctx.Err() == nil && time.Since(start) >= a.batchBudget {
				err = slowInBatch(err, a.batchBudget)
			}
			outcomes[i] = contract.Outcome(receipt, err)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return outcomes, nil
}

// slowInBatch is the error of a tick whose sink did not answer within the batch's budget: err,
// Deliver's, as its cause, with the retry delay that err asked for.
func slowInBatch(err error, budget time.Duration) error {
	var appErr *temporal.ApplicationError
	var delay time.Duration
	if errors.As(err, &appErr) {
		delay = appErr.NextRetryDelay()
	}
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("no answer within the batch's %v: the tick goes on alone", budget),
		contract.ErrSlowInBatch, temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: delay})
}

package activities

import (
	"context"
	"sync"

	"github.com/hello-cron/cronsource/activities/contract"
)

// DeliverBatch posts each tick's event to its sink once, all at the same time, and returns each
// one's outcome in the ticks' order: what Deliver would have returned for it. It is how a group
// of sources sends the ticks due at one instant in one local activity. It fails only as a whole,
// when the activity's context ends first; a group bounds how many ticks a batch holds.
func (a *Activities) DeliverBatch(ctx context.Context, ticks []contract.Tick) ([]contract.BatchOutcome, error) {
	outcomes := make([]contract.BatchOutcome, len(ticks))
	var wg sync.WaitGroup
	for i, t := range ticks {
		wg.Go(func() { outcomes[i] = contract.Outcome(a.Deliver(ctx, t)) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return outcomes, nil
}

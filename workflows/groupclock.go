package workflows

// What a group's members share: one timer for all of their waits, and one local activity for
// the first attempts of the ticks they send in the same workflow task.

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// clock keeps one timer, for the earliest time that a member waits for: the members due at the
// same instant wake in the workflow task of that one timer.
type clock struct {
	waits []time.Time
	// changed: a wait began or ended since the timer was set.
	changed bool
}

// await waits until done holds or the workflow's time reaches at.
func (c *clock) await(ctx workflow.Context, at time.Time, done func() bool) error {
	c.waits = append(c.waits, at)
	c.changed = true
	defer func() {
		i := slices.Index(c.waits, at)
		c.waits = slices.Delete(c.waits, i, i+1)
		c.changed = true
	}()
	return workflow.Await(ctx, func() bool { return done() || !workflow.Now(ctx).Before(at) })
}

// earliest is the earliest time waited for; zero if none.
func (c *clock) earliest() time.Time {
	if len(c.waits) == 0 {
		return time.Time{}
	}
	return slices.MinFunc(c.waits, time.Time.Compare)
}

// run keeps the timer set for the earliest wait. A timer set and cancelled in the same workflow
// task adds nothing to the history.
func (c *clock) run(ctx workflow.Context) {
	for {
		next := c.earliest()
		c.changed = false
		wait := next.Sub(workflow.Now(ctx))
		if next.IsZero() || wait <= 0 {
			// No wait, or those due are waking: look again once one begins or ends.
			if workflow.Await(ctx, func() bool { return c.changed }) != nil {
				return
			}
			continue
		}
		timerCtx, cancel := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, wait)
		err := workflow.Await(ctx, func() bool { return timer.IsReady() || (c.changed && !c.earliest().Equal(next)) })
		if !timer.IsReady() {
			cancel()
		}
		if err != nil {
			return
		}
	}
}

// batches sends the first attempts that members start in the same workflow task in one local
// activity, DeliverBatch.
type batches struct {
	pending []pendingAttempt
	// inFlight counts the batches and first attempts sent alone that are not answered; sent,
	// the batches sent by this run.
	inFlight, sent int
}

// alone sends a tick's first attempt by itself, as a regular activity of one attempt, for a
// member whose sink is too slow for a batch; like a batch, the group's continue-as-new waits
// for its answer.
func (b *batches) alone(ctx workflow.Context, tick contract.Tick) workflow.Future {
	opts := DeliveryOptions()
	opts.RetryPolicy.MaximumAttempts = 1
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), contract.DeliverActivity, tick)
	b.inFlight++
	answer, set := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var receipt contract.Receipt
		err := future.Get(ctx, &receipt)
		b.inFlight--
		set.Set(receipt, err)
	})
	return answer
}

// pendingAttempt is a tick's first attempt, waiting for its batch: set resolves its future.
type pendingAttempt struct {
	tick contract.Tick
	set  workflow.Settable
}

// add queues tick's first attempt for the next batch; the future resolves as the local activity
// Deliver's would, with its Receipt or error.
func (b *batches) add(ctx workflow.Context, tick contract.Tick) workflow.Future {
	future, set := workflow.NewFuture(ctx)
	b.pending = append(b.pending, pendingAttempt{tick: tick, set: set})
	return future
}

// run sends the next batch, as soon as a tick waits, and starts the coroutine of the one after.
// Each comes last of the workflow's coroutines, so that it runs after every member in each pass
// of the dispatcher: the members that the same event woke all queue their ticks before it sends
// them. (How ticks are split into batches changes only how many local activities send them; it is
// deterministic, as the order of the coroutines is.)
func (b *batches) run(ctx workflow.Context) {
	if workflow.Await(ctx, func() bool { return len(b.pending) > 0 }) != nil {
		return
	}
	batch := b.pending
	b.pending = nil
	ticks := make([]contract.Tick, len(batch))
	for i, p := range batch {
		ticks[i] = p.tick
	}
	lctx := workflow.WithLocalActivityOptions(ctx, LocalDeliveryOptions())
	future := workflow.ExecuteLocalActivity(lctx, contract.DeliverBatchActivity, ticks)
	b.inFlight++
	b.sent++
	workflow.Go(ctx, func(ctx workflow.Context) {
		var outcomes []contract.BatchOutcome
		err := future.Get(ctx, &outcomes)
		b.inFlight--
		for i, p := range batch {
			switch {
			case err != nil:
				p.set.Set(contract.Receipt{}, err)
			case i >= len(outcomes):
				p.set.Set(contract.Receipt{}, temporal.NewApplicationError("the batch has no outcome for the tick", contract.ErrUnavailable))
			default:
				p.set.Set(outcomes[i].Receipt, outcomes[i].Err())
			}
		}
	})
	workflow.Go(ctx, b.run)
}

package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/hello-cron/cronsource/activities/contract"
)

// heartbeatUntilDone heartbeats while a slow sink answers, so that Temporal retries the tick
// within the heartbeat timeout when this worker dies, not after the whole attempt timeout. A
// fast delivery ends before the first heartbeat and costs nothing.
func heartbeatUntilDone(ctx context.Context) (stop func()) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	ticker := time.NewTicker(contract.HeartbeatInterval(timeout))
	stopBeats := heartbeatOn(ticker.C, func() { activity.RecordHeartbeat(ctx) })
	return func() { stopBeats(); ticker.Stop() }
}

// heartbeatOn calls beat at every tick until stop is called; stop returns once beat no longer
// runs and never will again.
func heartbeatOn(ticks <-chan time.Time, beat func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-ticks:
				beat()
			}
		}
	}()
	return func() { close(done); <-finished }
}

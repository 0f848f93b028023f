package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestDeliveryPolicy: a source with --retry 2 and a linear backoff of 200 ms tries a tick that
// its sink keeps refusing three times, 200 ms and then 400 ms apart, then posts it to the
// dead-letter sink and goes on with the next ticks; describe shows the policy and counts the
// tick undeliverable. Without a policy the same sink's tick is retried until it is delivered.
func TestDeliveryPolicy(t *testing.T) {
	sink, dls := newRecorder(t), newRecorder(t)
	sink.setAnswer(func(a arrival) answer {
		if a.seq == 2 && a.attempt <= 5 {
			return answer{status: 503}
		}
		return answer{}
	})
	addr := startDevserver(t)
	startProc(t, "worker", "--address", addr, "--sink", sink.URL)
	const id = "policy"
	mustStarter(t, addr, "start", "--workflow-id", id, "--interval", "1s", "--dead-letter-sink", dls.URL,
		"--retry", "2", "--backoff-policy", "linear", "--backoff-delay", "PT0.2S")
	mustStarter(t, addr, "start", "--workflow-id", "no-policy", "--interval", "1s", "--sink", sink.URL+"/no-policy")

	dead := dls.waitFor(t, 1, time.Minute)[0]
	if got := seqOf(dead); got != 2 || dead.ID() == "" {
		t.Fatalf("dead-lettered tick %d (id %s), want tick 2", got, dead.ID())
	}
	var attempts []time.Time
	for _, a := range sink.all() {
		if a.event != nil && a.seq == 2 && a.path != "/no-policy" {
			attempts = append(attempts, a.at)
		}
	}
	if len(attempts) != 3 {
		t.Fatalf("tick 2 reached the sink %d times, want 3 (1 attempt and 2 retries)", len(attempts))
	}
	if gap1, gap2 := attempts[1].Sub(attempts[0]), attempts[2].Sub(attempts[1]); gap1 < 200*time.Millisecond || gap2 < 400*time.Millisecond {
		t.Errorf("tick 2's attempts %v and %v apart, want at least 200ms and 400ms (linear)", gap1, gap2)
	}
	eventually(t, "tick 3 and 4 delivered after it", time.Minute, func() bool {
		n := 0
		for _, a := range sink.all() {
			if a.accepted() && a.path != "/no-policy" && a.seq > 2 {
				n++
			}
		}
		return n >= 2
	})
	d := describe(t, addr, id)
	if d.Undeliverable != 1 || d.DeadLettered != 1 || d.LastUndeliverable == nil || d.LastUndeliverable.Sequence != 2 ||
		!strings.Contains(d.LastUndeliverable.Reason, "2 retries spent") || d.Delivery == nil || d.Delivery.BackoffPolicy != "linear" {
		t.Errorf("describe: undeliverable %d, dead-lettered %d, last %+v, delivery %+v", d.Undeliverable, d.DeadLettered,
			d.LastUndeliverable, d.Delivery)
	}
	eventually(t, "the source without a policy delivers its tick 2 in the end", time.Minute, func() bool {
		for _, a := range sink.all() {
			if a.path == "/no-policy" && a.seq == 2 && a.accepted() {
				return true
			}
		}
		return false
	})
	recordHistory(t, addr, id, "source-v6-delivery-policy")
}

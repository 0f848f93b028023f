package e2e

import (
	"fmt"
	"time"
)

// verdict sums up what one fault scenario did to the stream, as seen by the sink.
type verdict struct {
	scenario string
	// expected is the number of ticks from tick 1 to the last tick that reached the sink.
	expected int
	// delivered counts the ticks the sink accepted; rejected those refused on purpose.
	delivered, rejected int
	missing             int
	// outOfOrder counts ticks first handled after a later tick.
	outOfOrder int
	// offGrid counts arrivals whose time is not anchor + (sequence-1) × interval.
	offGrid int
	// redeliveries counts arrivals of a tick the sink had already accepted; sameID says every
	// arrival of a tick, retry or redelivery, carried the id of its first arrival.
	redeliveries int
	sameID       bool
	// distinctIDs says no two ticks shared an id.
	distinctIDs bool
	// recovery is how long after the fault was healed the first new tick was accepted,
	// counted from when that tick was due if it was due later; -1 if none was.
	recovery time.Duration
}

func (v verdict) String() string {
	recovery := "none"
	if v.recovery >= 0 {
		recovery = v.recovery.Round(10 * time.Millisecond).String()
	}
	return fmt.Sprintf("verdict %-44s expected=%d delivered=%d rejected=%d missing=%d out-of-order=%d off-grid=%d redeliveries=%d same-id=%v distinct-ids=%v recovery=%s",
		v.scenario, v.expected, v.delivered, v.rejected, v.missing, v.outOfOrder, v.offGrid,
		v.redeliveries, v.sameID, v.distinctIDs, recovery)
}

// judge builds the verdict from the sink's arrivals. rejectOnPurpose are the ticks the sink
// was told to refuse; healedAt is when the fault ended.
func judge(scenario string, arrivals []arrival, interval time.Duration, rejectOnPurpose map[int]bool, healedAt time.Time) verdict {
	v := verdict{scenario: scenario, sameID: true, distinctIDs: true, recovery: -1}
	idOf := map[int]string{}
	seqOf := map[string]int{}
	handled := map[int]bool{}
	accepted := map[int]bool{}
	var anchor time.Time
	maxSeq := 0
	var order []int // ticks in the order they were first handled
	for _, a := range arrivals {
		if id, seen := idOf[a.seq]; !seen {
			idOf[a.seq] = a.id
			if other, used := seqOf[a.id]; used && other != a.seq {
				v.distinctIDs = false
			}
			seqOf[a.id] = a.seq
		} else if id != a.id {
			v.sameID = false
		}
		if a.seq == 1 {
			anchor = a.scheduled
		}
		if accepted[a.seq] {
			v.redeliveries++
		}
		final := a.accepted() || (rejectOnPurpose[a.seq] && a.status >= 400 && a.status < 500)
		if final && !handled[a.seq] {
			handled[a.seq] = true
			order = append(order, a.seq)
			if a.accepted() {
				v.delivered++
			} else {
				v.rejected++
			}
			if v.recovery < 0 && !a.at.Before(healedAt) && a.accepted() {
				from := healedAt
				if a.scheduled.After(from) {
					from = a.scheduled
				}
				v.recovery = max(a.at.Sub(from), 0)
			}
		}
		if a.accepted() {
			accepted[a.seq] = true
		}
	}
	for i, seq := range order {
		if i > 0 && seq < maxSeq {
			v.outOfOrder++
		}
		maxSeq = max(maxSeq, seq)
	}
	for _, a := range arrivals {
		v.expected = max(v.expected, a.seq)
		if !anchor.IsZero() && !a.scheduled.Equal(anchor.Add(time.Duration(a.seq-1)*interval)) {
			v.offGrid++
		}
	}
	v.missing = v.expected - v.delivered - v.rejected
	return v
}

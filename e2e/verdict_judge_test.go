package e2e

import (
	"testing"
	"time"
)

// TestJudge checks the verdict arithmetic on made-up streams, so that a green fault suite means
// what its verdict lines say.
func TestJudge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const interval = time.Second
	at := func(seq, status int, id string, offset time.Duration) arrival {
		sched := t0.Add(time.Duration(seq-1) * interval)
		return arrival{id: id, seq: seq, scheduled: sched, at: sched.Add(offset), status: status}
	}
	healed := t0.Add(2500 * time.Millisecond)
	tests := []struct {
		name     string
		arrivals []arrival
		reject   map[int]bool
		want     verdict
	}{
		{
			name:     "clean stream",
			arrivals: []arrival{at(1, 200, "a", 0), at(2, 200, "b", 0), at(3, 200, "c", 0), at(4, 200, "d", 0)},
			want:     verdict{expected: 4, delivered: 4, sameID: true, distinctIDs: true, recovery: 0},
		},
		{
			name:     "missing tick",
			arrivals: []arrival{at(1, 200, "a", 0), at(2, 200, "b", 0), at(4, 200, "d", time.Second)},
			want:     verdict{expected: 4, delivered: 3, missing: 1, sameID: true, distinctIDs: true, recovery: time.Second},
		},
		{
			name:     "retried then redelivered with the same id",
			arrivals: []arrival{at(1, 200, "a", 0), at(2, 503, "b", 0), at(2, 200, "b", time.Second), at(2, 200, "b", 2*time.Second), at(3, 200, "c", time.Second)},
			want:     verdict{expected: 3, delivered: 3, redeliveries: 1, sameID: true, distinctIDs: true, recovery: 500 * time.Millisecond},
		},
		{
			name:     "redelivery with a new id",
			arrivals: []arrival{at(1, 200, "a", 0), at(1, 200, "a2", time.Second), at(2, 200, "b", 2*time.Second), at(3, 200, "c", 0)},
			want:     verdict{expected: 3, delivered: 3, redeliveries: 1, distinctIDs: true, recovery: 500 * time.Millisecond},
		},
		{
			name:     "two ticks share an id",
			arrivals: []arrival{at(1, 200, "a", 0), at(2, 200, "a", 0), at(3, 200, "c", 0)},
			want:     verdict{expected: 3, delivered: 3, sameID: true, recovery: -1},
		},
		{
			name:     "out of order",
			arrivals: []arrival{at(1, 200, "a", 0), at(3, 200, "c", 0), at(2, 200, "b", 2*time.Second)},
			want:     verdict{expected: 3, delivered: 3, outOfOrder: 1, sameID: true, distinctIDs: true, recovery: 500 * time.Millisecond},
		},
		{
			name:     "rejected on purpose is accounted for, rejected otherwise is missing",
			arrivals: []arrival{at(1, 200, "a", 0), at(2, 400, "b", 0), at(3, 400, "c", time.Second), at(4, 200, "d", 0)},
			reject:   map[int]bool{2: true},
			want:     verdict{expected: 4, delivered: 2, rejected: 1, missing: 1, sameID: true, distinctIDs: true, recovery: 0},
		},
		{
			name: "off the grid",
			arrivals: []arrival{at(1, 200, "a", 0),
				{id: "b", seq: 2, scheduled: t0.Add(1100 * time.Millisecond), at: t0.Add(3 * time.Second), status: 200}},
			want: verdict{expected: 2, delivered: 2, offGrid: 1, sameID: true, distinctIDs: true, recovery: 500 * time.Millisecond},
		},
		{
			name:     "nothing after the heal",
			arrivals: []arrival{at(1, 200, "a", 0), at(2, 200, "b", 0)},
			want:     verdict{expected: 2, delivered: 2, sameID: true, distinctIDs: true, recovery: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(tt.name, tt.arrivals, interval, tt.reject, healed)
			tt.want.scenario = tt.name
			if got != tt.want {
				t.Errorf("judge:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

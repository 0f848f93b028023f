package main

import (
	"sync"
	"testing"
)

func TestSeenEvents(t *testing.T) {
	a := eventKey{source: "/s", id: "a"}
	b := eventKey{source: "/s", id: "b"}
	c := eventKey{source: "/s", id: "c"}
	type step struct {
		key      eventKey
		wantSeen bool
	}
	tests := []struct {
		name  string
		size  int
		steps []step
	}{
		{name: "size 0 is off", size: 0, steps: []step{{a, false}, {a, false}, {b, false}}},
		{name: "negative size is off", size: -1, steps: []step{{a, false}, {a, false}}},
		{name: "repeat is seen", size: 2, steps: []step{{a, false}, {a, true}, {a, true}}},
		{name: "size 1 keeps only the last", size: 1, steps: []step{{a, false}, {b, false}, {a, false}, {a, true}}},
		{
			name: "full evicts the least recently seen", size: 2,
			// a is evicted by c; a back evicts b; c stays.
			steps: []step{{a, false}, {b, false}, {c, false}, {a, false}, {c, true}, {b, false}},
		},
		{
			name: "a hit refreshes recency", size: 2,
			// a is seen again, so c evicts b instead of a.
			steps: []step{{a, false}, {b, false}, {a, true}, {c, false}, {a, true}, {b, false}},
		},
		{
			name: "same id, other source", size: 4,
			steps: []step{{eventKey{"/s1", "x"}, false}, {eventKey{"/s2", "x"}, false}, {eventKey{"/s1", "x"}, true}},
		},
		{
			name: "no collision when joined strings match", size: 4,
			steps: []step{
				{eventKey{"a", "bc"}, false}, {eventKey{"ab", "c"}, false},
				{eventKey{"", "abc"}, false}, {eventKey{"abc", ""}, false},
				{eventKey{"a", "bc"}, true}, {eventKey{"ab", "c"}, true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeenEvents(tt.size)
			for i, st := range tt.steps {
				if got := s.seenOrAdd(st.key); got != st.wantSeen {
					t.Fatalf("step %d: seenOrAdd(%+v) = %v, want %v", i, st.key, got, st.wantSeen)
				}
				if n := s.len(); n > max(tt.size, 0) {
					t.Fatalf("step %d: remembers %d keys, more than size %d", i, n, tt.size)
				}
			}
		})
	}
}

func TestSeenEventsConcurrentSameKey(t *testing.T) {
	const callers = 64
	s := newSeenEvents(8)
	start := make(chan struct{})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		misses int // calls that found the key new
	)
	for range callers {
		wg.Go(func() {
			<-start
			if !s.seenOrAdd(eventKey{source: "/s", id: "x"}) {
				mu.Lock()
				misses++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if misses != 1 {
		t.Errorf("%d of %d concurrent calls found the key new, want exactly 1", misses, callers)
	}
}

package main

import "testing"

func TestGaps(t *testing.T) {
	a := func(source, seq string) arrival { return arrival{source: source, seq: seq} }
	tests := []struct {
		name string
		in   []arrival
		want int
	}{
		{"none", nil, 0},
		{"contiguous, a duplicate", []arrival{a("s", "0000000000000000001"), a("s", "0000000000000000002"), a("s", "0000000000000000002")}, 0},
		{"one missing", []arrival{a("s", "0000000000000000001"), a("s", "0000000000000000003")}, 1},
		{"per source", []arrival{a("s", "0000000000000000002"), a("t", "0000000000000000001"), a("t", "0000000000000000004")}, 3},
		{"not a sequence", []arrival{a("s", "")}, 0},
	}
	for _, tt := range tests {
		if got := gaps(tt.in); got != tt.want {
			t.Errorf("%s: gaps = %d, want %d", tt.name, got, tt.want)
		}
	}
}

package workflows

// How much a group carries. Temporal terminates a workflow whose continue-as-new input passes
// its limit for one payload (limit.blobSize.error, 2 MiB by default), and a group's input holds
// every member's configuration and state: 500 members with their last ten ticks already take
// 1.4 MiB, and up to 3 MiB once those ticks record the errors of a sink that was down. So
// a group trims what only describe and backfill read before it continues as new, and refuses
// the joins and controls that would leave it no room to.

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// MaxGroupInputBytes bounds a group's continue-as-new input, its members' configurations and
// states as JSON: Temporal's default limit of 2 MiB for one payload, less a margin.
const MaxGroupInputBytes = 1792 << 10

// memberReserve is the room that each member keeps for what its state may gain and a group
// cannot trim, besides a tick in flight (as large as its configuration): the tick's first
// error, and the last tick rejected and the last undeliverable.
const memberReserve = 2 << 10

// unencodable is the size of what JSON cannot encode (nor, so, the SDK send): too large, and
// small enough to add to.
const unencodable = math.MaxInt / 2

// jsonSize is the size of v as JSON: a group's input is its payload's data.
func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return unencodable
	}
	return len(b)
}

// essentialSize is what in may grow to once trimmed: its members without their recent ticks
// and gaps, and for each, room for a tick in flight and memberReserve.
func essentialSize(in GroupInput) int {
	in.Members = slices.Clone(in.Members)
	room := 0
	for i := range in.Members {
		m := &in.Members[i]
		m.State.Recent, m.State.Gaps = nil, nil
		config := jsonSize(m.Config) // a tick in flight copies its event's fields
		if config == unencodable {
			return unencodable
		}
		room += config + memberReserve
	}
	return min(jsonSize(in)+room, unencodable)
}

// refuseIfFull refuses a change of the group that would make in, the input it would then
// carry, larger than a group may be once trimmed.
func refuseIfFull(in GroupInput) error {
	return refusalOr(checkSize(in))
}

// refuseIfFullAfter is refuseIfFull for a change of member id's configuration or state.
func (g *group) refuseIfFullAfter(id string, change func(*Member)) error {
	in := g.input()
	i := slices.IndexFunc(in.Members, func(m Member) bool { return m.ID == id })
	if i < 0 {
		return nil
	}
	in.Members = slices.Clone(in.Members)
	change(&in.Members[i])
	return refuseIfFull(in)
}

// checkSize says why in is larger than a group may be once trimmed; nil if it is not.
func checkSize(in GroupInput) error {
	if n := essentialSize(in); n > MaxGroupInputBytes {
		return fmt.Errorf("the group is full: its sources would need %d KiB of state, more than the %d KiB a group carries "+
			"(Temporal ends a workflow whose continue-as-new input passes 2 MiB); run the source in another group",
			n>>10, MaxGroupInputBytes>>10)
	}
	return nil
}

// refusalOr is err as a refusal; nil if err is.
func refusalOr(err error) error {
	if err == nil {
		return nil
	}
	return refusal(err.Error())
}

// trimSteps are what fit takes out of each member, in turn, until the input fits: the errors of
// its recent ticks, then the oldest of those ticks, then the oldest gaps, which only backfill
// reads (a backfill then sends only the times skipped since).
func trimSteps() []func(*State) {
	return []func(*State){
		func(s *State) {
			s.Recent = slices.Clone(s.Recent)
			for i := range s.Recent {
				s.Recent[i].LastError = ""
			}
		},
		func(s *State) { s.Recent = lastOf(s.Recent, RecentTicks/2) },
		func(s *State) { s.Recent = nil },
		func(s *State) { s.Gaps = lastOf(s.Gaps, 10) },
		func(s *State) { s.Gaps = nil },
	}
}

// fit trims in, as trimSteps say, until it is at most MaxGroupInputBytes, and returns its size.
func fit(in *GroupInput) int {
	size := jsonSize(*in)
	for _, step := range trimSteps() {
		if size <= MaxGroupInputBytes {
			break
		}
		in.Members = slices.Clone(in.Members)
		for i := range in.Members {
			step(&in.Members[i].State)
		}
		size = jsonSize(*in)
	}
	return size
}

// lastOf is the last n of s, sharing its array.
func lastOf[T any](s []T, n int) []T {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

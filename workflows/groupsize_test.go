package workflows

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// temporalPayloadLimit is Temporal's default limit for one payload (limit.blobSize.error): a
// continue-as-new whose input passes it terminates the workflow.
const temporalPayloadLimit = 2 << 20

// jsonData is n bytes of valid JSON: a string.
func jsonData(n int) []byte { return []byte(`"` + strings.Repeat("d", n-2) + `"`) }

// fullMember is a member whose state holds as much as a source's may: its last ten ticks, each
// with an error of the most a recent tick keeps, a tick in flight with its first error, the
// last rejection and undeliverable tick, pending triggers and backfills, and its gaps; plain,
// only its last ten ticks, delivered at once.
func fullMember(i, triggers int, data []byte, plain bool) Member {
	m := everyMinute(i + 1)[i]
	m.ID = fmt.Sprintf("billing-%04d", i)
	m.Config.Type, m.Config.Source, m.Config.Data = "com.hello.cron-event", "urn:fleet:"+m.ID, data
	m.Config.Sink = "https://events.example.com/tenants/" + m.ID
	id := "01a23411-24f6-7283-a1e5-e6f9b688e69f-m" + fmt.Sprint(i+1)
	st := &m.State
	st.InstanceID, st.Anchor, st.Cursor, st.Origin, st.Sequence, st.Delivered = id, t0, t0, t0, 123456, 123456
	for range RecentTicks {
		st.Recent = append(st.Recent, TickRecord{Sequence: 123456, ID: id + "-123456", Time: t0, FirstAttempt: t0, LastAttempt: t0,
			Attempts: 9, Outcome: OutcomeDelivered, LastError: strings.Repeat("e", maxRecentError)})
		if plain {
			st.Recent[len(st.Recent)-1].LastError = ""
		}
	}
	if plain {
		return m
	}
	st.InFlight = &InFlight{Tick: contract.Tick{ID: id + "-123457", Sequence: 123457, Time: t0, Type: m.Config.Type,
		Source: m.Config.Source, WorkflowID: m.ID, Sink: m.Config.Sink, Data: data}, Slot: true, FirstAttempt: t0,
		FirstError: strings.Repeat("f", maxRecentError)}
	rejection := &RejectionStatus{Sequence: 123455, ID: id + "-123455", Sink: m.Config.Sink, StatusCode: 400,
		Reason: "sink rejected the event: 400 Bad Request: " + strings.Repeat("r", 512)}
	st.LastRejection, st.LastUndeliverable = rejection, rejection
	for range triggers {
		st.Triggers = append(st.Triggers, t0)
	}
	for range MaxPendingBackfills {
		st.Backfills = append(st.Backfills, Backfill{From: t0, To: t0, Cursor: t0, Sent: 100, Total: 1000})
	}
	for range maxGaps {
		st.Gaps = append(st.Gaps, Gap{After: t0, Through: t0})
	}
	return m
}

// TestGroupInputFits checks that whatever a group admits, its continue-as-new input fits under
// Temporal's limit once trimmed, and that trimming takes only what describe and backfill read:
// groups of members as full as the size check lets them be, added until it refuses the next.
func TestGroupInputFits(t *testing.T) {
	tests := []struct {
		name     string
		plain    bool
		triggers int
		data     []byte
		admitted int  // at least
		trimmed  bool // the input must be trimmed to fit
	}{
		{"plain members, their last ten ticks delivered at once", true, 0, nil, MaxGroupMembers, false},
		{"members with everything a state holds", false, 0, nil, 250, true},
		{"and their most pending triggers", false, MaxPendingTriggers, nil, 200, true},
		{"and 4 KiB of data", false, 0, jsonData(4 << 10), 75, true},
		{"and the most data", false, 0, jsonData(contract.MaxDataBytes), 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in GroupInput
			for i := range MaxGroupMembers {
				next := in
				next.Members = append(next.Members[:len(next.Members):len(next.Members)], fullMember(i, tt.triggers, tt.data, tt.plain))
				if checkSize(next) != nil {
					break
				}
				in = next
			}
			if len(in.Members) < tt.admitted {
				t.Fatalf("the group admits %d such members, want at least %d", len(in.Members), tt.admitted)
			}
			before := jsonSize(in)
			fitted := in
			size := fit(&fitted)
			payloads, err := converter.GetDefaultDataConverter().ToPayloads(fitted)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d members: %d KiB, %d KiB once fitted, the payload %d KiB", len(in.Members), before>>10, size>>10, payloads.Size()>>10)
			if size > MaxGroupInputBytes || payloads.Size() > temporalPayloadLimit {
				t.Errorf("fitted input %d bytes (payload %d), want at most %d (Temporal's limit %d)", size, payloads.Size(), MaxGroupInputBytes, temporalPayloadLimit)
			}
			if (before > MaxGroupInputBytes) != tt.trimmed {
				t.Errorf("input of %d bytes before fitting; want trimming %v", before, tt.trimmed)
			}
			for i, m := range fitted.Members {
				orig := in.Members[i]
				orig.State.Recent, orig.State.Gaps, m.State.Recent, m.State.Gaps = nil, nil, nil, nil
				if fmt.Sprint(m) != fmt.Sprint(orig) {
					t.Fatalf("member %d: fitting changed more than its recent ticks and gaps", i)
				}
			}
			if !tt.plain && in.Members[0].State.Recent[0].LastError == "" {
				t.Error("fitting changed the input it was given, not a copy")
			}
		})
	}
}

func TestGroupRefusesWhatWouldNotFit(t *testing.T) {
	h := newGroupHarness()
	big := jsonData(58 << 10) // 11 such members fit, 12 do not
	var members []Member
	for i := range 11 {
		m := everyMinute(i + 1)[i]
		m.Config.Data = big
		members = append(members, m)
	}
	join := h.update(s(10), UpdateJoin, JoinRequest{ID: "twelfth", Config: Config{Cron: "* * * * *", Data: big}})
	small := h.update(s(11), UpdateJoin, JoinRequest{ID: "small", Config: Config{Cron: "* * * * *"}})
	grow := h.update(s(12), UpdateConfig, "small", ConfigPatch{Payload: &Payload{Data: jsonData(contract.MaxDataBytes)}})
	h.run(t, GroupInput{Members: members, Joined: 11, ContinueAsNewAfter: 1})
	if join.rejected == nil || !strings.Contains(join.rejected.Error(), "the group is full") {
		t.Errorf("join of a twelfth member with 58 KiB of data: %+v, want refused, the group full", join)
	}
	if small.rejected != nil || !small.done {
		t.Errorf("join of a small member: %+v, want it joined", small)
	}
	if grow.rejected == nil || !strings.Contains(grow.rejected.Error(), "the group is full") {
		t.Errorf("update of the small member's data to 64 KiB: %+v, want refused, the group full", grow)
	}

	members = append(members, members[0])
	members[11].ID, members[11].State.InstanceID = "twelfth", "group-m12"
	tests := []struct {
		name      string
		continued bool
		wantErr   string // "" for a run that goes on
	}{
		{"a new group", false, "the group is full"},
		// A run that a continue-as-new started carries what its group admitted: refusing it
		// would end every member.
		{"a later run of a group", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGroupHarness()
			if tt.continued {
				h.env.SetContinuedExecutionRunID("earlier-run")
			}
			h.env.ExecuteWorkflow(CronGroup, GroupInput{Members: members, Joined: 12, ContinueAsNewAfter: 1})
			err := h.env.GetWorkflowError()
			var can *workflow.ContinueAsNewError
			if tt.wantErr == "" && !errors.As(err, &can) || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("12 members with 58 KiB of data: %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestGroupContinuesAsNewWithinTheLimit runs a group whose members' state, as it carries it,
// is twice Temporal's limit for a continue-as-new input: the group must trim it to fit.
func TestGroupContinuesAsNewWithinTheLimit(t *testing.T) {
	var in GroupInput
	for i := range 250 {
		in.Members = append(in.Members, fullMember(i, 0, nil, false))
	}
	in.Joined, in.ContinueAsNewAfter = 250, 1
	if n := jsonSize(in); n < temporalPayloadLimit {
		t.Fatalf("the group's state is %d bytes, less than the limit: the test shows nothing", n)
	}
	h := newGroupHarness()
	h.env.ExecuteWorkflow(CronGroup, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	if size := can.Input.Size(); size > MaxGroupInputBytes {
		t.Errorf("continue-as-new input of %d bytes, want at most %d", size, MaxGroupInputBytes)
	}
}

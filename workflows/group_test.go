package workflows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
)

// groupHarness runs CronGroup in the test environment with DeliverBatch and Deliver mocked: it
// records every tick sent, with the batch it went in (0 for a retry, a regular activity).
type groupHarness struct {
	env     *testsuite.TestWorkflowEnvironment
	mu      sync.Mutex
	batches int
	got     []groupSent
	// fail, if set, says how an attempt at tick fails: nil for delivered.
	fail func(tick contract.Tick, attempt int32) error
	// slow are how long the regular activities take, in turn, on the workflow's clock: the
	// first len(slow) of them; the others answer at once.
	slow []time.Duration
}

type groupSent struct {
	member  string
	tick    contract.Tick
	at      time.Time
	batch   int // 1 for the first batch, 0 for a retry
	attempt int32
}

func newGroupHarness() *groupHarness {
	var s testsuite.WorkflowTestSuite
	h := &groupHarness{env: s.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(t0)
	var a *activities.Activities
	h.env.RegisterActivity(a)
	h.env.OnActivity(a.DeliverBatch, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ticks []contract.Tick) ([]contract.BatchOutcome, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.batches++
			out := make([]contract.BatchOutcome, len(ticks))
			for i, t := range ticks {
				out[i] = contract.Outcome(h.answer(t, h.batches, 1))
			}
			return out, nil
		})
	h.env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, t contract.Tick) (contract.Receipt, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			if activity.GetInfo(ctx).IsLocalActivity {
				return contract.Receipt{}, errors.New("a member's first attempt went alone, not in a batch")
			}
			return h.answer(t, 0, t.EarlierAttempts+activity.GetInfo(ctx).Attempt)
		}).AfterFn(func() time.Duration {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.slow) == 0 {
			return 0
		}
		d := h.slow[0]
		h.slow = h.slow[1:]
		return d
	}).Maybe()
	return h
}

// answer records an attempt at t and answers it; h.mu is held.
func (h *groupHarness) answer(t contract.Tick, batch int, attempt int32) (contract.Receipt, error) {
	h.got = append(h.got, groupSent{member: t.WorkflowID, tick: t, at: h.env.Now(), batch: batch, attempt: attempt})
	if h.fail != nil {
		if err := h.fail(t, attempt); err != nil {
			return contract.Receipt{}, err
		}
	}
	return contract.Receipt{StatusCode: 200, Attempt: attempt}, nil
}

// run executes the group until it continues as new and returns the input it carries.
func (h *groupHarness) run(t *testing.T, in GroupInput) GroupInput {
	t.Helper()
	h.env.ExecuteWorkflow(CronGroup, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	var next GroupInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode continue-as-new input: %v", err)
	}
	return next
}

// delivered lists member id's ticks that were delivered, as "sequence@scheduled offset".
func (h *groupHarness) delivered(id string) []string {
	var out []string
	for _, g := range h.got {
		if g.member == id && (h.fail == nil || h.fail(g.tick, g.attempt) == nil) {
			out = append(out, fmt.Sprintf("%d@%v", g.tick.Sequence, g.tick.Time.Sub(t0)))
		}
	}
	return out
}

// update sends an update to the group at offset on the workflow clock.
func (h *groupHarness) update(at time.Duration, name string, args ...any) *updateResult {
	r := &updateResult{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, fmt.Sprintf("%s-%v-%v", name, at, args[0]), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { r.rejected = err },
			OnComplete: func(v any, err error) { r.done, r.err = true, err },
		}, args...)
	}, at)
	return r
}

func everyMinute(n int) []Member {
	members := make([]Member, n)
	for i := range members {
		members[i] = Member{ID: fmt.Sprintf("src-%d", i), Config: Config{Cron: "* * * * *"},
			State: State{InstanceID: fmt.Sprintf("group-m%d", i+1)}}
	}
	return members
}

func TestGroupSendsTheTicksOfAnInstantInOneBatch(t *testing.T) {
	h := newGroupHarness()
	members := append(everyMinute(3), Member{ID: "every-25s", Config: Config{Interval: s(25)},
		State: State{InstanceID: "group-m4"}})
	next := h.run(t, GroupInput{Members: members, Joined: 4, ContinueAsNewAfter: 6})

	// Minutes 1 and 2 for the cron members; 25, 50, 75 and 100 s for the other: six instants.
	for _, m := range members[:3] {
		if got, want := fmt.Sprint(h.delivered(m.ID)), "[1@1m0s 2@2m0s]"; got != want {
			t.Errorf("%s delivered %s, want %s", m.ID, got, want)
		}
	}
	if got, want := fmt.Sprint(h.delivered("every-25s")), "[1@25s 2@50s 3@1m15s 4@1m40s]"; got != want {
		t.Errorf("every-25s delivered %s, want %s", got, want)
	}
	perBatch := map[int]int{}
	for _, g := range h.got {
		perBatch[g.batch]++
		m := members[slices.IndexFunc(members, func(m Member) bool { return m.ID == g.member })]
		if g.tick.ID != EventID(m.State.InstanceID, g.tick.Sequence) || !g.at.Equal(g.tick.Time) {
			t.Errorf("%s: tick %s at %v, want id %s sent at its time %v", g.member, g.tick.ID, g.at,
				EventID(m.State.InstanceID, g.tick.Sequence), g.tick.Time)
		}
	}
	if h.batches != 6 || perBatch[3] != 3 || perBatch[6] != 3 {
		t.Errorf("%d batches, %v ticks in each; want 6, the minutes' (3 and 6) with 3", h.batches, perBatch)
	}
	if len(next.Members) != 4 || next.Joined != 4 {
		t.Fatalf("carried %d members, joined %d; want 4 and 4", len(next.Members), next.Joined)
	}
	for i, m := range next.Members {
		want := int64(2)
		if m.ID == "every-25s" {
			want = 4
		}
		if m.ID != members[i].ID || m.State.Sequence != want || m.State.InstanceID != members[i].State.InstanceID {
			t.Errorf("carried member %d: %s at sequence %d, instance %s", i, m.ID, m.State.Sequence, m.State.InstanceID)
		}
	}
}

func TestGroupRetriesAMemberAloneAndInOrder(t *testing.T) {
	h := newGroupHarness()
	// src-1's first tick fails twice: its first attempt in the batch, then one retry.
	h.fail = func(tick contract.Tick, attempt int32) error {
		if tick.WorkflowID == "src-1" && tick.Sequence == 1 && attempt <= 2 {
			return temporal.NewApplicationError("sink answered 503", contract.ErrRetryable)
		}
		return nil
	}
	h.run(t, GroupInput{Members: everyMinute(3), Joined: 3, ContinueAsNewAfter: 3})
	if got, want := fmt.Sprint(h.delivered("src-1")), "[1@1m0s 2@2m0s 3@3m0s]"; got != want {
		t.Errorf("src-1 delivered %s, want %s", got, want)
	}
	for _, id := range []string{"src-0", "src-2"} {
		if got, want := fmt.Sprint(h.delivered(id)), "[1@1m0s 2@2m0s 3@3m0s]"; got != want {
			t.Errorf("%s delivered %s, want %s", id, got, want)
		}
	}
	var retries []string
	for _, g := range h.got {
		if g.batch == 0 {
			retries = append(retries, fmt.Sprintf("%s/%d#%d", g.member, g.tick.Sequence, g.attempt))
		}
	}
	if got, want := fmt.Sprint(retries), "[src-1/1#2 src-1/1#3]"; got != want {
		t.Errorf("retries %s, want %s", got, want)
	}
}

// TestGroupSendsASlowMemberAlone: a member whose sink did not answer within a batch's budget
// (ErrSlowInBatch) has that tick retried alone and sends its next ticks alone, as regular
// activities, so that its sink cannot hold the batches of the others again; the group's
// continue-as-new waits for the tick it is sending and carries that it goes alone; once its
// sink answers within half the budget, it is back in the batches.
func TestGroupSendsASlowMemberAlone(t *testing.T) {
	h := newGroupHarness()
	h.fail = func(tick contract.Tick, attempt int32) error {
		if tick.WorkflowID == "src-1" && tick.Sequence == 1 && attempt == 1 {
			return temporal.NewApplicationError("no answer within the batch's 10s", contract.ErrSlowInBatch)
		}
		return nil
	}
	// src-1's retry of tick 1 answers at once; its ticks 2 and 3, alone, in 8 s: still too slow.
	h.slow = []time.Duration{0, s(8), s(8)}
	next := h.run(t, GroupInput{Members: everyMinute(3), Joined: 3, ContinueAsNewAfter: 3})
	sent := func(h *groupHarness) map[string][]string {
		out := map[string][]string{}
		for _, g := range h.got {
			how := "batch"
			if g.batch == 0 {
				how = "alone"
			}
			out[g.member] = append(out[g.member], fmt.Sprintf("%d#%d@%v %s", g.tick.Sequence, g.attempt, g.at.Sub(t0), how))
		}
		return out
	}
	want := map[string]string{
		"src-0": "[1#1@1m0s batch 2#1@2m0s batch 3#1@3m0s batch]",
		// Answered at the times shown: a regular activity's sent 8 s earlier.
		"src-1": "[1#1@1m0s batch 1#2@1m1s alone 2#1@2m8s alone 3#1@3m8s alone]",
		"src-2": "[1#1@1m0s batch 2#1@2m0s batch 3#1@3m0s batch]",
	}
	got := sent(h)
	for id, w := range want {
		if g := fmt.Sprint(got[id]); g != w {
			t.Errorf("%s sent %s, want %s", id, g, w)
		}
	}
	if len(next.Members) != 3 || !next.Members[1].Alone || next.Members[0].Alone || next.Members[1].State.Sequence != 3 {
		t.Fatalf("carried %+v; want src-1 alone, at sequence 3", next.Members)
	}
	for id, want := range map[string]bool{"src-0": false, "src-1": true} {
		v, err := h.env.QueryWorkflow(QueryStatus, id)
		var st Status
		if err == nil {
			err = v.Get(&st)
		}
		if err != nil || st.SentAlone != want {
			t.Errorf("status of %s: sent alone %v, %v; want %v", id, st.SentAlone, err, want)
		}
	}

	h = newGroupHarness()
	h.slow = []time.Duration{s(1)} // in time again
	h.run(t, next)
	if g, w := fmt.Sprint(sent(h)["src-1"]), "[4#1@4m1s alone 5#1@5m0s batch 6#1@6m0s batch]"; g != w {
		t.Errorf("in the next run, src-1 sent %s, want %s", g, w)
	}
}

// TestGroupBatchesAMemberWithANewSink: a member sent alone, whose sink is still slow, is back in
// the batches once its sink changes.
func TestGroupBatchesAMemberWithANewSink(t *testing.T) {
	h := newGroupHarness()
	members := everyMinute(2)
	members[1].Alone = true
	h.slow = []time.Duration{s(8)} // tick 1, alone: still too slow
	sink := "http://new-sink.example.com/"
	update := h.update(s(90), UpdateConfig, "src-1", ConfigPatch{Sink: &sink})
	h.run(t, GroupInput{Members: members, Joined: 2, ContinueAsNewAfter: 3})
	if update.rejected != nil || update.err != nil {
		t.Fatalf("update: %+v", update)
	}
	var got []string
	for _, g := range h.got {
		if g.member == "src-1" {
			got = append(got, fmt.Sprintf("%d batch %d", g.tick.Sequence, g.batch))
		}
	}
	if fmt.Sprint(got) != "[1 batch 0 2 batch 2 3 batch 3]" {
		t.Errorf("src-1 sent %v; want tick 1 alone (batch 0), 2 and 3 in the batches of minutes 2 and 3", got)
	}
}

func TestGroupControlsOneMember(t *testing.T) {
	h := newGroupHarness()
	pause := h.update(s(90), UpdatePause, "src-1", PauseRequest{Reason: "maintenance"})
	resume := h.update(s(200), UpdateResume, "src-1")
	stop := h.update(s(150), UpdateStop, "src-2", StopRequest{Now: true})
	join := h.update(s(130), UpdateJoin, JoinRequest{ID: "late", Config: Config{Cron: "* * * * *"}})
	again := h.update(s(131), UpdateJoin, JoinRequest{ID: "late", Config: Config{Cron: "* * * * *"}})
	withAttrs := h.update(s(132), UpdateJoin, JoinRequest{ID: "attrs", Config: Config{Cron: "* * * * *", SearchAttributes: true}})
	unknown := h.update(s(133), UpdatePause, "nobody", PauseRequest{})
	// A batch each minute, and one more for late's first tick, which ran after the coroutine that
	// sent minute 3's batch: it joined after that coroutine began. src-1's ticks 2 and 3, sent at
	// its resume, are not batched, but regular activities, as the first attempts made in a
	// workflow task that handled an update are.
	next := h.run(t, GroupInput{Members: everyMinute(3), Joined: 3, ContinueAsNewAfter: 6})

	for _, u := range []*updateResult{pause, resume, stop, join} {
		if u.rejected != nil || !u.done || u.err != nil {
			t.Fatalf("update: %+v", u)
		}
	}
	for _, u := range []*updateResult{again, withAttrs, unknown} {
		if u.rejected == nil {
			t.Errorf("update accepted, want it refused: %+v", u)
		}
	}
	want := map[string]string{
		"src-0": "[1@1m0s 2@2m0s 3@3m0s 4@4m0s 5@5m0s]",
		// Paused from 90 s to 200 s: the ticks of minutes 2 and 3 are caught up at 200 s.
		"src-1": "[1@1m0s 2@2m0s 3@3m0s 4@4m0s 5@5m0s]",
		"src-2": "[1@1m0s 2@2m0s]",
		"late":  "[1@3m0s 2@4m0s 3@5m0s]",
	}
	for id, w := range want {
		if got := fmt.Sprint(h.delivered(id)); got != w {
			t.Errorf("%s delivered %s, want %s", id, got, w)
		}
	}
	for _, g := range h.got {
		if g.member == "src-1" && (g.tick.Sequence == 2 || g.tick.Sequence == 3) && (!g.at.Equal(t0.Add(s(200))) || g.batch != 0) {
			t.Errorf("src-1's tick %d sent at %v in batch %d, want at the resume, in a regular activity",
				g.tick.Sequence, g.at.Sub(t0), g.batch)
		}
		if g.member == "late" && !strings.HasSuffix(g.tick.ID, fmt.Sprintf("-m4-%d", g.tick.Sequence)) {
			t.Errorf("late's tick id %s, want the group's first run id, member 4 and the sequence", g.tick.ID)
		}
	}
	// A member that joined shares the batches of those that started with the group, from the
	// instant after its join on: minute 4's three ticks go in one batch.
	minute4 := map[int][]string{}
	for _, g := range h.got {
		if g.tick.Time.Equal(t0.Add(4 * time.Minute)) {
			minute4[g.batch] = append(minute4[g.batch], g.member)
		}
	}
	if len(minute4) != 1 || len(slices.Concat(slices.Collect(maps.Values(minute4))...)) != 3 || minute4[0] != nil {
		t.Errorf("the ticks of minute 4 went in batches %v, want one batch of src-0, src-1 and late", minute4)
	}
	var ids []string
	for _, m := range next.Members {
		ids = append(ids, m.ID)
	}
	if fmt.Sprint(ids) != "[src-0 src-1 late]" || next.Joined != 4 {
		t.Errorf("carried %v, joined %d; want the members still running, joined 4", ids, next.Joined)
	}
}

func TestGroupInputValidate(t *testing.T) {
	ok := Member{ID: "a", Config: Config{Cron: "* * * * *"}}
	tests := []struct {
		name    string
		members []Member
		wantErr string // "" for valid
	}{
		{"none", nil, ""},
		{"one", []Member{ok}, ""},
		{"the most", everyMinute(MaxGroupMembers), ""},
		{"too many", everyMinute(MaxGroupMembers + 1), "501 members, more than 500"},
		{"empty id", []Member{{Config: ok.Config}}, "member 0: invalid --id"},
		{"repeated id", []Member{ok, ok}, `member 1: the id "a" is another member's`},
		{"bad config", []Member{{ID: "b", Config: Config{Cron: "nope"}}}, "member b: invalid --cron"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := GroupInput{Members: tt.members}.Validate()
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

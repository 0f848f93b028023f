package workflows

// A group: many sources in one workflow, for fleets whose sources fire at the same instants. A
// source of its own costs a timer and a workflow task per tick, so 10,000 sources on one cron
// spec queue 10,000 tasks at the minute; a group of them shares one timer and one workflow task,
// and sends their ticks in one local activity. Each member runs the same main loop as a source
// of its own (source.run), in a coroutine of the group's workflow, so it keeps every guarantee of
// one: its ids, sequence, catch-up, delivery policy, controls and status.

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// MaxGroupMembers bounds a group's members: its continue-as-new input carries all of their
// configurations and states, and one of its workflow tasks may send all of their ticks.
const MaxGroupMembers = 500

// DefaultGroupContinueAsNewAfter is how many batches of ticks a group's run sends before it
// continues as new, unless the server suggests it sooner. A worker that does not have the group
// cached replays the whole run, every member's turns in every workflow task: 20 batches of 500
// members took 0.7 s on this project's 2-core machine, 50 batches 1.7 s, so 20 stay well within
// GroupTaskTimeout (docs/benchmarks.md, Groups).
const DefaultGroupContinueAsNewAfter = 20

// UpdateJoin adds a source to a running group: a JoinRequest. It returns the source's Status.
// The controls of a member are the updates of a source of its own (UpdatePause, UpdateResume,
// UpdateConfig, UpdateTrigger, UpdateStop, UpdateBackfill), sent to the group with the member's
// id as their first argument; QueryStatus takes it too, and QueryMembers lists the members.
const UpdateJoin = "join"

// QueryMembers is the query that returns the ids of a group's members, in the order they joined,
// finished ones included until the group's next continue-as-new.
const QueryMembers = "members"

// QueryConfig is the query that returns the RecordedConfig of a running member, given its id,
// for `starter apply`: a source of its own keeps it in its memo. It returns null for a source
// that the group does not run, or that has finished.
const QueryConfig = "config"

// GroupInput is a group's argument: its members and, after a continue-as-new, what it carries.
type GroupInput struct {
	Members []Member `json:",omitempty"`
	// Joined counts the members that ever joined the group: the next one's instance is the next.
	Joined int64 `json:",omitempty"`
	// ContinueAsNewAfter is how many batches one run sends before it continues as new; zero
	// means DefaultGroupContinueAsNewAfter.
	ContinueAsNewAfter int `json:",omitempty"`
}

// Validate refuses more than MaxGroupMembers members, an empty or repeated id, and a member's bad
// configuration, naming the member.
func (in GroupInput) Validate() error {
	if len(in.Members) > MaxGroupMembers {
		return fmt.Errorf("%d members, more than %d", len(in.Members), MaxGroupMembers)
	}
	seen := map[string]bool{}
	for i, m := range in.Members {
		switch {
		case m.ID == "":
			return fmt.Errorf("member %d: %w", i, &FieldError{"id", m.ID, "must not be empty"})
		case seen[m.ID]:
			return fmt.Errorf("member %d: the id %q is another member's", i, m.ID)
		}
		seen[m.ID] = true
		if err := m.Config.Validate(); err != nil {
			return fmt.Errorf("member %s: %w", m.ID, err)
		}
	}
	return nil
}

// Member is a source in a group: its id, which takes the place of a workflow id (in its status,
// its ticks and its metrics), its configuration and its state. A new member's state is empty,
// or PausedAtStart.
type Member struct {
	ID     string
	Config Config
	State  State
	// Alone: the member's sink was too slow for a batch, so it sends its ticks alone.
	Alone bool `json:",omitempty"`
}

// JoinRequest adds the source ID, with its configuration, to a group. Paused starts it paused,
// with PauseReason (see PausedAtStart).
type JoinRequest struct {
	ID          string
	Config      Config
	Paused      bool   `json:",omitempty"`
	PauseReason string `json:",omitempty"`
}

// CronGroup runs its members' sources until it is cancelled or terminated, continuing as new
// with all of them after ContinueAsNewAfter batches. It never ends by itself: a group without
// members waits for joins at no cost.
func CronGroup(ctx workflow.Context, in GroupInput) error {
	err := in.Validate()
	if err == nil && workflow.GetInfo(ctx).ContinuedExecutionRunID == "" {
		// A new group's members; a later run carries what the group admitted, with the room it
		// kept for them now taken, so it is not checked again.
		err = checkSize(in)
	}
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", nil)
	}
	g := newGroup(ctx, in)
	if err := g.register(ctx); err != nil {
		return err
	}
	for _, m := range in.Members {
		if err := g.start(ctx, m); err != nil {
			return err
		}
	}
	workflow.Go(ctx, g.clock.run)
	workflow.Go(ctx, g.batches.run)
	err = workflow.Await(ctx, func() bool { return g.failed != nil || g.continueAsNewDue(ctx) })
	if err != nil || g.failed != nil {
		return errors.Join(err, g.failed)
	}
	// Let the first attempts under way finish (a member sent alone starts no other), then stop
	// every member at its next turn.
	g.closing = true
	if err := workflow.Await(ctx, func() bool { return g.batches.inFlight == 0 }); err != nil {
		return err
	}
	g.draining = true
	err = workflow.Await(ctx, func() bool { return g.failed != nil || (g.allParked() && workflow.AllHandlersFinished(ctx)) })
	if err != nil || g.failed != nil {
		return errors.Join(err, g.failed)
	}
	next := g.input()
	size := fit(&next)
	if size > MaxGroupInputBytes { // only if its sources passed what the group refuses
		g.logger.Error("group's input larger than a group carries, even trimmed", "bytes", size, "most", MaxGroupInputBytes)
	}
	g.logger.Info("group continuing as new", "members", len(g.order), "batches", g.batches.sent, "bytes", size)
	return workflow.NewContinueAsNewError(ctx, CronGroup, next)
}

// group is one run of a group's workflow.
type group struct {
	members map[string]*source
	order   []string // the members' ids, in the order they joined
	clock   *clock
	batches *batches
	// closing: the group is due to continue as new, once the first attempts under way are
	// answered; draining: it is continuing as new, and each member stops at its next turn.
	closing, draining bool
	// updatedAt is the time of the last workflow task that handled an update of any member: see
	// source.firstAttemptApart.
	updatedAt time.Time
	joined    int64
	firstRun  string // the group's first run id: its members' instance ids start with it
	canAfter  int
	failed    error // a member's run failed: the group fails with it
	logger    log.Logger
}

func newGroup(ctx workflow.Context, in GroupInput) *group {
	info := workflow.GetInfo(ctx)
	g := &group{members: map[string]*source{}, clock: &clock{}, batches: &batches{}, joined: in.Joined,
		firstRun: info.FirstRunID, canAfter: in.ContinueAsNewAfter, logger: workflow.GetLogger(ctx)}
	if g.firstRun == "" {
		g.firstRun = info.WorkflowExecution.RunID
	}
	if g.canAfter <= 0 {
		g.canAfter = DefaultGroupContinueAsNewAfter
	}
	return g
}

// start runs member m's main loop in a coroutine. A member new to the group gets its instance
// id: the group's first run id and the member's number, so that its event ids differ from those
// of every source before it, of any id.
func (g *group) start(ctx workflow.Context, m Member) error {
	if m.State.InstanceID == "" {
		g.joined++
		m.State.InstanceID = fmt.Sprintf("%s-m%d", g.firstRun, g.joined)
	}
	s, err := initSource(ctx, &source{cfg: m.Config.withDefaults(), state: m.State, workflowID: m.ID,
		logger: log.With(workflow.GetLogger(ctx), "source", m.ID), loadZone: machineZones, group: g, alone: m.Alone})
	if err != nil {
		return fmt.Errorf("member %s: %w", m.ID, err)
	}
	if _, ok := g.members[m.ID]; !ok {
		g.order = append(g.order, m.ID)
	}
	g.members[m.ID] = s
	workflow.Go(ctx, func(ctx workflow.Context) {
		switch err := s.run(ctx); {
		case errors.Is(err, errParked):
			s.parked = true
		case err != nil && g.failed == nil:
			g.failed = fmt.Errorf("member %s: %w", m.ID, err)
		}
	})
	return nil
}

// errParked is what a member's main loop returns when it stops for its group's continue-as-new.
const errParked refusal = "parked for the group's continue-as-new"

// continueAsNewDue: the run has sent its batches, or the server suggests continuing as new.
func (g *group) continueAsNewDue(ctx workflow.Context) bool {
	return g.batches.sent >= g.canAfter || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// allParked: every member still running has stopped for the continue-as-new.
func (g *group) allParked() bool {
	for _, s := range g.members {
		if !s.finished && !s.parked {
			return false
		}
	}
	return true
}

// input is the next run's: the members still running, in the order they joined.
func (g *group) input() GroupInput {
	in := GroupInput{Joined: g.joined, ContinueAsNewAfter: g.canAfter}
	for _, id := range g.order {
		if s := g.members[id]; !s.finished {
			in.Members = append(in.Members, Member{ID: id, Config: s.cfg, State: s.state, Alone: s.alone})
		}
	}
	return in
}

// live is the number of members still running.
func (g *group) live() int {
	n := 0
	for _, s := range g.members {
		if !s.finished {
			n++
		}
	}
	return n
}

// judgeSink decides, after a tick's first attempt answered in took, whether member s sends its
// next ticks alone: they go alone once its sink did not answer one in its batch within the
// budget (contract.ErrSlowInBatch), so that it cannot hold the others' batches again, and back
// in the batches once it answered one sent alone within half of the budget.
func (s *source) judgeSink(sentAlone bool, took time.Duration, err error) {
	switch {
	case !sentAlone && contract.IsSlowInBatch(err):
		s.alone = true
		s.logger.Warn("the sink did not answer within a batch's budget: the source's ticks go alone", "budget", contract.BatchBudget)
	case sentAlone && took < contract.BatchBudget/2:
		s.alone = false
		s.logger.Info("the sink answered in time again: the source's ticks go in the group's batches", "took", took)
	}
}

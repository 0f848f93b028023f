package workflows

// A group's query and updates: a join, and each control of a source of its own, addressed to a
// member by its id.

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ErrAlreadyMember is the type of the error that refuses a join of a source already running in
// the group: a second start of a running source changes nothing.
const ErrAlreadyMember = "AlreadyMember"

// register installs the group's queries and updates.
func (g *group) register(ctx workflow.Context) error {
	status := func(id string) (Status, error) {
		s, ok := g.members[id]
		if !ok {
			return Status{}, fmt.Errorf("no source %q in the group", id)
		}
		return s.status(), nil
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, status); err != nil {
		return fmt.Errorf("set query handler: %w", err)
	}
	members := func() ([]string, error) { return slices.Clone(g.order), nil }
	if err := workflow.SetQueryHandler(ctx, QueryMembers, members); err != nil {
		return fmt.Errorf("set query handler: %w", err)
	}
	config := func(id string) (*RecordedConfig, error) {
		s, ok := g.members[id]
		if !ok || s.finished {
			return nil, nil
		}
		rec := Record(s.cfg)
		return &rec, nil
	}
	if err := workflow.SetQueryHandler(ctx, QueryConfig, config); err != nil {
		return fmt.Errorf("set query handler: %w", err)
	}
	return setUpdateHandlers(ctx, []updateHandler{
		{UpdateJoin, g.join, g.validateJoin},
		{UpdatePause,
			func(ctx workflow.Context, id string, r PauseRequest) (Status, error) {
				return g.members[id].pause(ctx, r)
			},
			func(_ workflow.Context, id string, _ PauseRequest) error {
				return g.check(id, (*source).refuseIfStopping)
			}},
		{UpdateResume,
			func(ctx workflow.Context, id string) (Status, error) { return g.members[id].resume(ctx) },
			func(_ workflow.Context, id string) error { return g.check(id, nil) }},
		{UpdateConfig,
			func(ctx workflow.Context, id string, p ConfigPatch) (Status, error) {
				return g.members[id].update(ctx, p)
			},
			func(ctx workflow.Context, id string, p ConfigPatch) error {
				return g.check(id, func(s *source) error {
					if err := s.validateUpdate(ctx, p); err != nil {
						return err
					}
					return g.refuseIfFullAfter(id, func(m *Member) { m.Config = p.Apply(m.Config) })
				})
			}},
		{UpdateTrigger,
			func(ctx workflow.Context, id string) (Status, error) { return g.members[id].trigger(ctx) },
			func(ctx workflow.Context, id string) error {
				return g.check(id, func(s *source) error {
					if err := s.validateTrigger(ctx); err != nil {
						return err
					}
					return g.refuseIfFullAfter(id, func(m *Member) {
						m.State.Triggers = append(slices.Clone(m.State.Triggers), workflow.Now(ctx))
					})
				})
			}},
		{UpdateStop,
			func(ctx workflow.Context, id string, r StopRequest) (Status, error) {
				return g.members[id].stop(ctx, r)
			},
			func(ctx workflow.Context, id string, r StopRequest) error {
				return g.check(id, func(*source) error { return validateStop(ctx, r) })
			}},
		{UpdateBackfill,
			func(ctx workflow.Context, id string, r BackfillRequest) (Status, error) {
				return g.members[id].backfill(ctx, r)
			},
			func(ctx workflow.Context, id string, r BackfillRequest) error {
				return g.check(id, func(s *source) error {
					if err := s.validateBackfill(ctx, r); err != nil {
						return err
					}
					return g.refuseIfFullAfter(id, func(m *Member) {
						m.State.Backfills = append(slices.Clone(m.State.Backfills), Backfill{From: r.From, To: r.To, Cursor: r.From})
					})
				})
			}},
	})
}

// check refuses a control of a member that the group does not run, and otherwise returns what
// valid, the control's own validator, says (nil: none).
func (g *group) check(id string, valid func(*source) error) error {
	s, ok := g.members[id]
	switch {
	case !ok:
		return refusal(fmt.Sprintf("no source %q in the group", id))
	case s.finished:
		return refusal(fmt.Sprintf("source %q has finished", id))
	case valid == nil:
		return nil
	}
	return valid(s)
}

// validateJoin refuses a source that is already a running member, one more than
// MaxGroupMembers, and a bad configuration.
func (g *group) validateJoin(_ workflow.Context, r JoinRequest) error {
	switch {
	case r.ID == "":
		return &FieldError{"id", r.ID, "must not be empty"}
	case g.members[r.ID] != nil && !g.members[r.ID].finished:
		return temporal.NewApplicationError(fmt.Sprintf("source %q is already running in the group", r.ID), ErrAlreadyMember)
	case g.live() >= MaxGroupMembers:
		return refusal(fmt.Sprintf("the group runs %d sources, its most", MaxGroupMembers))
	case r.Config.SearchAttributes:
		return &FieldError{"search-attributes", true, "a group's member has none of its own"}
	}
	if err := r.Config.Validate(); err != nil {
		return err
	}
	in := g.input()
	in.Members = append(in.Members, Member{ID: r.ID, Config: r.Config})
	return refuseIfFull(in)
}

// join starts a member.
func (g *group) join(ctx workflow.Context, r JoinRequest) (Status, error) {
	var state State
	if r.Paused {
		state = PausedAtStart(r.PauseReason)
	}
	if err := g.start(ctx, Member{ID: r.ID, Config: r.Config, State: state}); err != nil {
		return Status{}, err
	}
	return g.members[r.ID].changed(ctx)
}

package workflows

import (
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// StartSearchAttributes are the search attributes a source starts with, from its input: the same
// values the running source keeps up to date when in.Config.SearchAttributes.
func StartSearchAttributes(in Input) temporal.SearchAttributes {
	var set []temporal.SearchAttributeUpdate
	for _, u := range searchAttributeUpdates(in.Config.withDefaults(), in.State, nil) {
		if !u.unset {
			set = append(set, u.update)
		}
	}
	return temporal.NewSearchAttributes(set...)
}

// searchAttributeUpdate is one change to the search attribute name; unset removes it.
type searchAttributeUpdate struct {
	name   string
	update temporal.SearchAttributeUpdate
	unset  bool
}

// searchAttributeUpdates are the changes that bring current (a run's indexed fields) to the
// values of c and of the state's pause.
func searchAttributeUpdates(c Config, st State, current map[string]*commonpb.Payload) []searchAttributeUpdate {
	paused := st.Paused
	var updates []searchAttributeUpdate
	sinkKey := temporal.NewSearchAttributeKeyKeyword(searchattr.Sink)
	sinkURL := sinkref.Redact(c.Sink)
	switch have, ok := decoded[string](current, searchattr.Sink); {
	case sinkURL == "" && ok:
		updates = append(updates, searchAttributeUpdate{name: searchattr.Sink, update: sinkKey.ValueUnset(), unset: true})
	case sinkURL != "" && (!ok || have != sinkURL):
		updates = append(updates, searchAttributeUpdate{name: searchattr.Sink, update: sinkKey.ValueSet(sinkURL)})
	}
	if schedule := c.Schedule(); !has(current, searchattr.Schedule, schedule) {
		key := temporal.NewSearchAttributeKeyKeyword(searchattr.Schedule)
		updates = append(updates, searchAttributeUpdate{name: searchattr.Schedule, update: key.ValueSet(schedule)})
	}
	if !has(current, searchattr.Paused, paused) {
		key := temporal.NewSearchAttributeKeyBool(searchattr.Paused)
		updates = append(updates, searchAttributeUpdate{name: searchattr.Paused, update: key.ValueSet(paused)})
	}
	if c.PauseReasonAttribute {
		key := temporal.NewSearchAttributeKeyKeyword(searchattr.PauseReason)
		reason := clip(st.PauseReason, maxReasonAttribute)
		switch have, ok := decoded[string](current, searchattr.PauseReason); {
		case !paused && ok:
			updates = append(updates, searchAttributeUpdate{name: searchattr.PauseReason, update: key.ValueUnset(), unset: true})
		case paused && reason != "" && (!ok || have != reason):
			updates = append(updates, searchAttributeUpdate{name: searchattr.PauseReason, update: key.ValueSet(reason)})
		}
	}
	return updates
}

// maxReasonAttribute bounds the pause reason in its search attribute, a keyword.
const maxReasonAttribute = 256

func has[T comparable](fields map[string]*commonpb.Payload, name string, want T) bool {
	have, ok := decoded[T](fields, name)
	return ok && have == want
}

// decoded is a search attribute's value; false if it is unset or not a T.
func decoded[T any](fields map[string]*commonpb.Payload, name string) (T, bool) {
	var v T
	p := fields[name]
	if len(p.GetData()) == 0 {
		return v, false
	}
	if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
		return v, false
	}
	return v, true
}

// syncSearchAttributes upserts the search attributes whose values changed, if the source keeps
// them (a group's member has none: the workflow's are the group's). It is called at the start of a run and after a pause, resume or update.
func (s *source) syncSearchAttributes(ctx workflow.Context) error {
	if !s.cfg.SearchAttributes || s.group != nil {
		return nil
	}
	updates := searchAttributeUpdates(s.cfg, s.state, workflow.GetInfo(ctx).SearchAttributes.GetIndexedFields())
	if i := slices.IndexFunc(updates, func(u searchAttributeUpdate) bool { return u.name == searchattr.PauseReason }); i >= 0 &&
		workflow.GetVersion(ctx, pauseOnFailureChange, workflow.DefaultVersion, 1) < 1 {
		updates = slices.Delete(updates, i, i+1)
	}
	if len(updates) == 0 || workflow.GetVersion(ctx, searchAttributesChange, workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	upsert := make([]temporal.SearchAttributeUpdate, len(updates))
	for i, u := range updates {
		upsert[i] = u.update
	}
	return workflow.UpsertTypedSearchAttributes(ctx, upsert...)
}

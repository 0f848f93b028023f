package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// The names of the updates that control a running source, one per starter subcommand. Each
// has a validator, so a bad request is refused before it enters the history, and each returns
// the source's Status after the change.
const (
	UpdatePause   = "pause"
	UpdateResume  = "resume"
	UpdateConfig  = "update"
	UpdateTrigger = "trigger"
	UpdateStop    = "stop"
)

// SignalApply carries a ConfigPatch, as UpdateConfig does, for when no worker takes an update:
// Temporal keeps a signal until a worker runs the source. `starter apply` sends it then. The
// patch is checked and applied as an update's, and a refusal is only logged.
const SignalApply = "apply"

// MaxPendingTriggers bounds the extra ticks waiting to be sent.
const MaxPendingTriggers = 100

// PauseRequest pauses a source; Reason shows in its status.
type PauseRequest struct {
	Reason string
}

// StopRequest stops a source. The tick in flight, if any, keeps being retried for Grace
// (nil: DefaultStopGrace); Now abandons it at once. A tick abandoned goes to the dead-letter
// sink if the source has one. In JSON, Grace is nanoseconds or a string such as "30s".
type StopRequest struct {
	Grace *time.Duration `json:",omitempty"`
	Now   bool           `json:",omitempty"`
}

// grace is how long the stop waits for the tick in flight.
func (r StopRequest) grace() time.Duration {
	switch {
	case r.Now:
		return 0
	case r.Grace != nil:
		return *r.Grace
	}
	return DefaultStopGrace
}

// refusal is a validator's reason to refuse an update.
type refusal string

func (r refusal) Error() string { return string(r) }

const errStopping refusal = "the source is stopping: resume takes the stop back, stop --now ends it at once"

// register installs the status query and the control updates.
func (s *source) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) { return s.status(), nil }); err != nil {
		return fmt.Errorf("set query handler: %w", err)
	}
	updates := []updateHandler{
		{UpdatePause, s.pause, func(workflow.Context, PauseRequest) error { return s.refuseIfStopping() }},
		{UpdateResume, s.resume, func(workflow.Context) error { return nil }},
		{UpdateConfig, s.update, s.validateUpdate},
		{UpdateTrigger, s.trigger, s.validateTrigger},
		{UpdateStop, s.stop, validateStop},
		{UpdateBackfill, s.backfill, s.validateBackfill},
	}
	s.applied = workflow.GetSignalChannel(ctx, SignalApply)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var p ConfigPatch
			s.applied.Receive(ctx, &p)
			s.applySignal(ctx, p)
		}
	})
	return setUpdateHandlers(ctx, updates)
}

// updateHandler is an update's handler and validator.
type updateHandler struct {
	name              string
	handler, validate any
}

func setUpdateHandlers(ctx workflow.Context, updates []updateHandler) error {
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validate}); err != nil {
			return fmt.Errorf("set update handler %s: %w", u.name, err)
		}
	}
	return nil
}

func (s *source) refuseIfStopping() error {
	if s.state.Stopping {
		return errStopping
	}
	return nil
}

// pause stops sending ticks; a delivery in flight stops retrying and is sent again on resume.
func (s *source) pause(ctx workflow.Context, req PauseRequest) (Status, error) {
	s.state.Paused, s.state.PauseReason = true, req.Reason
	s.woken, s.redirect = true, true
	s.logger.Info("source paused", "reason", req.Reason)
	return s.changed(ctx)
}

// resume sends ticks again; those missed while paused follow the catch-up policy. A source
// that is stopping goes on running: the stop is taken back.
func (s *source) resume(ctx workflow.Context) (Status, error) {
	if s.state.Paused {
		s.state.ResumedAt = workflow.Now(ctx)
	}
	if s.state.Stopping {
		s.state.Stopping, s.state.StopBy = false, time.Time{}
		s.stopMoved = true
		s.logger.Info("stop taken back")
	}
	s.state.Paused, s.state.PauseReason, s.state.FailuresInARow = false, "", 0
	s.woken = true
	s.logger.Info("source resumed")
	return s.changed(ctx)
}

// validateUpdate accepts an update while the source is stopping too: a new sink may yet take
// the tick in flight before the stop's grace ends.
func (s *source) validateUpdate(ctx workflow.Context, p ConfigPatch) error {
	switch {
	case p.Empty():
		return refusal("nothing to update: give at least one setting")
	case p.EndAt != nil && !p.EndAt.IsZero() && !p.EndAt.After(workflow.Now(ctx)):
		return &FieldError{"end-at", p.EndAt.Format(time.RFC3339Nano), "is in the past: stop ends a source now"}
	case p.MaxTicks != nil && *p.MaxTicks > 0 && *p.MaxTicks < s.ticksTaken():
		return &FieldError{"max-ticks", *p.MaxTicks, fmt.Sprintf("is below the %d ticks the source has sent or queued", s.ticksTaken())}
	}
	return p.Apply(s.cfg).Validate()
}

// update changes the configuration from the next tick. A new schedule starts from now: ticks
// the old schedule still owed are skipped and counted, so a shorter interval does not set
// off a burst of catch-up. A new sink also applies to a delivery in flight.
func (s *source) update(ctx workflow.Context, p ConfigPatch) (Status, error) {
	old := s.cfg
	s.cfg = p.Apply(s.cfg).withDefaults()
	if s.cfg.Interval != old.Interval || s.cfg.Cron != old.Cron || s.cfg.Timezone != old.Timezone {
		now := workflow.Now(ctx)
		from := s.state.Cursor
		if f := s.state.InFlight; s.localFirst && f != nil && f.Slot {
			from = f.Tick.Time // being sent, not owed
		}
		var owed int64
		last := from
		for slot := s.sched.next(from); !slot.After(now); slot = s.sched.next(slot) {
			owed++
			last = slot
		}
		s.state.Skipped += owed
		s.addGap(from, last)
		if now.After(s.state.Cursor) {
			s.state.Cursor = now
		}
		s.state.Anchor = s.state.Cursor
		sched, err := newSchedule(s.cfg, s.state.Anchor, s.loadZone)
		if err != nil {
			s.cfg = old // the validator accepted it, so this cannot happen
			return Status{}, err
		}
		s.sched = sched
		s.logger.Info("schedule changed", "interval", s.cfg.Interval, "cron", s.cfg.Cron,
			"timezone", s.cfg.Timezone, "skippedOwed", owed)
	}
	if s.cfg.Sink != old.Sink || s.cfg.SinkCredential != old.SinkCredential {
		s.redirect = true
		s.alone = false // a new sink gets its place in the group's batches back
	}
	s.woken = true
	s.logger.Info("source updated")
	if err := s.recordConfig(ctx); err != nil {
		return Status{}, err
	}
	return s.changed(ctx)
}

func (s *source) validateTrigger(workflow.Context) error {
	switch {
	case s.state.Stopping:
		return errStopping
	case s.state.Paused:
		return refusal("the source is paused: resume it first")
	case len(s.state.Triggers) >= MaxPendingTriggers:
		return fmt.Errorf("%d extra ticks are already waiting to be sent", MaxPendingTriggers)
	case s.cfg.MaxTicks > 0 && s.ticksTaken() >= s.cfg.MaxTicks:
		return fmt.Errorf("the source has sent or queued all of its %d ticks (--max-ticks counts triggered ticks too)", s.cfg.MaxTicks)
	}
	return nil
}

// ticksTaken counts the sequence numbers used or promised: ticks sent, the one in flight, and
// the triggers waiting.
func (s *source) ticksTaken() int64 {
	n := s.state.Sequence + int64(len(s.state.Triggers))
	if s.state.InFlight != nil {
		n++
	}
	return n
}

// trigger asks for one extra tick now, with its own sequence number.
func (s *source) trigger(ctx workflow.Context) (Status, error) {
	s.state.Triggers = append(s.state.Triggers, workflow.Now(ctx))
	s.woken = true
	return s.changed(ctx)
}

func validateStop(_ workflow.Context, r StopRequest) error {
	if r.Grace != nil && *r.Grace < 0 {
		return &FieldError{"grace", *r.Grace, "must not be negative"}
	}
	return nil
}

// stop completes the source once the tick in flight is delivered or rejected, or abandoned
// when the stop's grace ends. No new tick is sent, nor the triggers waiting. A second stop
// can only bring the end of the grace closer.
func (s *source) stop(ctx workflow.Context, r StopRequest) (Status, error) {
	if workflow.GetVersion(ctx, stopGraceChange, workflow.DefaultVersion, 1) >= 1 {
		by := workflow.Now(ctx).Add(r.grace())
		if !s.state.Stopping || s.state.StopBy.IsZero() || by.Before(s.state.StopBy) {
			s.state.StopBy = by
			s.stopMoved = true
		}
	}
	s.state.Stopping = true
	s.woken = true
	s.logger.Info("source stopping", "stopBy", s.state.StopBy)
	return s.changed(ctx)
}

// changed follows a control: it upserts the search attributes whose values changed (pause,
// resume, a new schedule or sink), shows the new current details, and returns the status.
func (s *source) changed(ctx workflow.Context) (Status, error) {
	s.updatedAt = workflow.Now(ctx)
	if s.group != nil {
		s.group.updatedAt = s.updatedAt
	}
	if err := s.syncSearchAttributes(ctx); err != nil {
		return Status{}, fmt.Errorf("upsert search attributes: %w", err)
	}
	st := s.status()
	workflow.SetCurrentDetails(ctx, st.CurrentDetails())
	return st, nil
}

// applySignal applies a patch that came as SignalApply.
func (s *source) applySignal(ctx workflow.Context, p ConfigPatch) {
	if err := s.validateUpdate(ctx, p); err != nil {
		s.logger.Warn("apply signal refused", "error", err)
		return
	}
	if _, err := s.update(ctx, p); err != nil {
		s.logger.Error("apply signal failed", "error", err)
	}
}

// drainApplied applies the patches signalled and not yet received, before a continue-as-new.
func (s *source) drainApplied(ctx workflow.Context) {
	var p ConfigPatch
	for s.applied.ReceiveAsync(&p) {
		s.applySignal(ctx, p)
		p = ConfigPatch{}
	}
}

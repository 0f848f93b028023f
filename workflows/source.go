package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities"
)

// Input is the workflow's argument: the source's configuration and, after a continue-as-new,
// the state it carries over.
type Input struct {
	Config Config
	State  State
}

// State is everything a source carries across continue-as-new.
type State struct {
	// InstanceID is the run id of the source's first run. It makes event ids distinct from
	// those of an earlier source that had the same workflow id.
	InstanceID string
	// Anchor is the start of an interval schedule: tick n is due at Anchor + n × Interval,
	// until a change of schedule moves it.
	Anchor time.Time
	// Cursor: every scheduled time up to and including it was delivered, rejected or skipped.
	// Zero in state carried by the first version, which only had Anchor and Sequence.
	Cursor time.Time
	// Sequence is the last tick sent, delivered or rejected. Ticks are numbered from 1; skipped
	// times get no number.
	Sequence int64
	// InFlight is a tick that was sent and not yet delivered or rejected, kept across a pause
	// or a change of sink so that it is sent again with the same id and sequence.
	InFlight *InFlight `json:",omitempty"`
	// Triggers are the times of extra ticks asked for and not yet sent.
	Triggers    []time.Time `json:",omitempty"`
	Paused      bool        `json:",omitempty"`
	PauseReason string      `json:",omitempty"`
	// ResumedAt is when the source was last resumed: ticks due by then were missed.
	ResumedAt time.Time `json:",omitempty"`
	Stopping  bool      `json:",omitempty"`

	Delivered    int64
	Rejected     int64
	Retried      int64 `json:",omitempty"`
	DeadLettered int64 `json:",omitempty"`
	CaughtUp     int64 `json:",omitempty"`
	Skipped      int64 `json:",omitempty"`
}

// InFlight is a tick being delivered. Slot says it is a scheduled time, not a trigger.
type InFlight struct {
	Tick activities.Tick
	Slot bool
}

// OnTime is how late a tick may be and still count as on time, not missed: the catch-up
// policies skip and latest only act on ticks that are later than this or have a later tick
// due already.
const OnTime = 10 * time.Second

// AttemptTimeout bounds one delivery attempt as Temporal sees it. The worker's HTTP timeout
// must be shorter.
const AttemptTimeout = 30 * time.Second

// HeartbeatTimeout is how soon Temporal notices that a worker died during a slow delivery
// and retries it elsewhere; the delivery activity heartbeats while it waits for the sink.
const HeartbeatTimeout = 3 * time.Second

// DeliveryOptions retry a delivery until it succeeds or is rejected for good, backing off
// exponentially to at most a minute, or as long as the sink's Retry-After says.
func DeliveryOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: AttemptTimeout,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        0, // unlimited: a tick is never dropped because a sink was down
			NonRetryableErrorTypes: []string{activities.ErrRejected},
		},
	}
}

// LocalDeliveryOptions are for a tick's first attempt, a local activity: one attempt, retried
// by the regular activity. A worker that dies during it loses its workflow task, and the next
// worker sends the tick again after TaskTimeout.
func LocalDeliveryOptions() workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout: AttemptTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			MaximumAttempts:        1,
			NonRetryableErrorTypes: []string{activities.ErrRejected},
		},
	}
}

// localDeliveryChange versions two changes made together: a tick's first attempt is a local
// activity, and a schedule change during a delivery neither counts the tick in flight as
// skipped nor lets its delivery move the cursor back. Runs recorded before replay without.
const localDeliveryChange = "local-delivery"

// CronSource emits one CloudEvent per tick of its schedule until it is stopped or ends. Ticks
// are delivered strictly in order; ticks missed while the worker or the sink was down, or
// while the source was paused, follow the catch-up policy. Updates control it while it runs.
func CronSource(ctx workflow.Context, in Input) error {
	if err := in.Config.Validate(); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", nil)
	}
	s, err := newSource(ctx, in)
	if err != nil {
		return err
	}
	if err := s.syncSearchAttributes(ctx); err != nil {
		return fmt.Errorf("upsert search attributes: %w", err)
	}
	if err := s.register(ctx); err != nil {
		return err
	}
	counts := newTickCounts(s.state)
	for steps := 0; ; steps++ {
		s.showDetails(ctx) // after each delivery, rejection, skip, wake-up and resume
		if s.state.Stopping || s.ended() {
			return s.finish(ctx)
		}
		if steps >= s.cfg.ContinueAsNewAfter || (steps > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			return s.continueAsNew(ctx, steps)
		}
		if s.state.Paused {
			if err := workflow.Await(ctx, func() bool { return !s.state.Paused || s.state.Stopping }); err != nil {
				return err
			}
			continue
		}
		f, err := s.nextTick(ctx)
		counts.report(ctx, s.state) // catch-up and skips, decided by nextTick or an update
		if err != nil {
			return err
		}
		if f == nil {
			continue // woken by an update, or skipped ticks: look again
		}
		if err := s.deliver(ctx, f); err != nil {
			return err
		}
	}
}

// source is one run's view of the workflow: its configuration with defaults, its state, and
// the flags its update handlers raise for the main loop.
type source struct {
	cfg        Config
	state      State
	sched      schedule
	workflowID string
	logger     log.Logger
	// woken: an update changed something the main loop is waiting on.
	woken bool
	// redirect: the sink changed or the source was paused; an in-flight delivery stops
	// retrying and is sent again later.
	redirect bool
	// current: the run has localDeliveryChange.
	current bool
	// finished: the run has ended the source, stopped or past its last tick.
	finished bool
}

func newSource(ctx workflow.Context, in Input) (*source, error) {
	info := workflow.GetInfo(ctx)
	s := &source{cfg: in.Config.withDefaults(), state: in.State, workflowID: info.WorkflowExecution.ID,
		logger: workflow.GetLogger(ctx)}
	if s.state.InstanceID == "" {
		s.state.InstanceID = info.WorkflowExecution.RunID
	}
	if s.state.Anchor.IsZero() {
		s.state.Anchor = workflow.Now(ctx).Truncate(time.Millisecond)
		if !s.cfg.StartAt.IsZero() {
			// The first tick is due at StartAt.
			s.state.Anchor = s.cfg.StartAt
			s.state.Cursor = s.cfg.StartAt.Add(-time.Nanosecond)
		}
	}
	if s.state.Cursor.IsZero() {
		// A new source, or state from the first version: tick n was due at Anchor + n × Interval.
		s.state.Cursor = s.state.Anchor.Add(time.Duration(s.state.Sequence) * s.cfg.Interval)
	}
	sched, err := newSchedule(s.cfg, s.state.Anchor)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", nil)
	}
	s.sched = sched
	s.current = workflow.GetVersion(ctx, localDeliveryChange, workflow.DefaultVersion, 1) >= 1
	return s, nil
}

// ended: the source has sent its last tick.
func (s *source) ended() bool {
	if s.state.InFlight != nil || len(s.state.Triggers) > 0 {
		return false
	}
	if s.cfg.MaxTicks > 0 && s.state.Sequence >= s.cfg.MaxTicks {
		return true
	}
	return !s.cfg.EndAt.IsZero() && s.sched.next(s.state.Cursor).After(s.cfg.EndAt)
}

func (s *source) finish(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	s.logger.Info("source finished", "sequence", s.state.Sequence, "stopped", s.state.Stopping)
	s.finished = true
	s.showDetails(ctx)
	return nil
}

// showDetails sets the current details that `temporal workflow describe` and the Web UI show.
// It adds nothing to the history, so it needs no versioning; it runs on every tick, so it
// builds the status with one next fire time, not NextFireTimes.
func (s *source) showDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, s.statusWith(1).CurrentDetails())
}

func (s *source) continueAsNew(ctx workflow.Context, steps int) error {
	// Updates are handled synchronously; waiting for them carries every change they made.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	s.logger.Info("continuing as new", "sequence", s.state.Sequence, "steps", steps)
	return workflow.NewContinueAsNewError(ctx, CronSource, Input{Config: s.cfg, State: s.state})
}

// nextTick waits until the next tick is due and returns it. It returns nil when an update
// woke it or when it skipped missed ticks, so that the main loop looks again.
func (s *source) nextTick(ctx workflow.Context) (*InFlight, error) {
	if f := s.state.InFlight; f != nil {
		f.Tick.Sink = s.cfg.Sink // the only change that applies to a tick already sent
		return f, nil
	}
	if len(s.state.Triggers) > 0 {
		at := s.state.Triggers[0]
		s.state.Triggers = s.state.Triggers[1:]
		return &InFlight{Tick: s.tick(at)}, nil
	}
	slot := s.sched.next(s.state.Cursor)
	if wait := slot.Add(jitter(s.state.InstanceID, slot, s.cfg.Jitter)).Sub(workflow.Now(ctx)); wait > 0 {
		s.woken = false
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return s.woken }); err != nil {
			return nil, err
		}
		if s.woken {
			return nil, nil
		}
	}
	now := workflow.Now(ctx)
	if s.skipMissed(now) {
		return nil, nil
	}
	if s.missed(slot, now) {
		s.state.CaughtUp++
	}
	return &InFlight{Tick: s.tick(slot), Slot: true}, nil
}

// missed: the tick due at slot came due while the source was paused, is late by more than
// OnTime, or a later tick is due too.
func (s *source) missed(slot, now time.Time) bool {
	return !slot.After(s.state.ResumedAt) || now.Sub(slot) > OnTime || !s.sched.next(slot).After(now)
}

// skipMissed moves the cursor past the due ticks that the catch-up policy does not deliver,
// counting and logging them. It reports whether it skipped any.
func (s *source) skipMissed(now time.Time) bool {
	var n int64
	first := s.sched.next(s.state.Cursor)
	for slot := first; !slot.After(now) && s.skippable(slot, now); slot = s.sched.next(slot) {
		if !s.cfg.EndAt.IsZero() && slot.After(s.cfg.EndAt) {
			break
		}
		s.state.Cursor = slot
		n++
	}
	if n == 0 {
		return false
	}
	s.state.Skipped += n
	s.logger.Info("skipped missed ticks", "count", n, "from", first, "to", s.state.Cursor,
		"catchup", s.cfg.Catchup, "catchupWindow", s.cfg.CatchupWindow)
	return true
}

func (s *source) skippable(slot, now time.Time) bool {
	if s.cfg.CatchupWindow > 0 && now.Sub(slot) > s.cfg.CatchupWindow {
		return true
	}
	switch s.cfg.Catchup {
	case CatchupLatest:
		return !s.sched.next(slot).After(now)
	case CatchupSkip:
		return s.missed(slot, now)
	}
	return false
}

// tick is the next tick, due at t: its identity depends only on the source instance and the
// sequence, so every retry, replay and run sends the same event.
func (s *source) tick(t time.Time) activities.Tick {
	seq := s.state.Sequence + 1
	return activities.Tick{
		ID:              EventID(s.state.InstanceID, seq),
		Sequence:        seq,
		Time:            t,
		Type:            s.cfg.Type,
		Source:          s.cfg.Source,
		WorkflowID:      s.workflowID,
		Sink:            s.cfg.Sink,
		ContentMode:     s.cfg.ContentMode,
		Data:            s.cfg.Data,
		DataContentType: s.cfg.DataContentType,
	}
}

// deliver sends f until the sink takes it or rejects it for good, unless a pause or a new
// sink interrupts the retries: then f stays in flight and is sent again next.
func (s *source) deliver(ctx workflow.Context, f *InFlight) error {
	s.state.InFlight = f
	s.redirect = false
	ctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	receipt, interrupted, err := s.send(ctx, f.Tick)
	if interrupted {
		cancel()
		s.logger.Info("delivery interrupted; the tick will be sent again", "sequence", f.Tick.Sequence,
			"id", f.Tick.ID, "paused", s.state.Paused)
		return nil
	}
	switch {
	case err == nil:
		s.state.Delivered++
		s.state.Retried += int64(max(receipt.Attempt-1, 0))
	case activities.IsRejected(err):
		s.state.Rejected++
		rejection, _ := activities.RejectionOf(err)
		s.state.Retried += int64(max(rejection.Attempt-1, 0))
		s.logger.Warn("tick rejected, going on to the next", "sequence", f.Tick.Sequence, "id", f.Tick.ID, "error", err)
		if err := s.deadLetter(ctx, f.Tick, rejection); err != nil {
			return err
		}
	default:
		return err // only cancellation ends a delivery that the retry policy keeps retrying
	}
	s.state.Sequence = f.Tick.Sequence
	if f.Slot && (!s.current || f.Tick.Time.After(s.state.Cursor)) {
		s.state.Cursor = f.Tick.Time
	}
	s.state.InFlight = nil
	return nil
}

// send delivers tick and returns the first attempt's answer that is not a retry, or reports
// that a redirect interrupted it. The first attempt is a local activity: on the happy path a
// tick then costs its timer, one workflow task and one marker in the history. A retryable
// failure hands the tick, after the retry delay, to the regular activity, whose retries
// Temporal schedules and shows as a pending activity.
func (s *source) send(ctx workflow.Context, tick activities.Tick) (receipt activities.Receipt, interrupted bool, err error) {
	var a *activities.Activities // names the activities; never called here
	if s.current {
		lctx := workflow.WithLocalActivityOptions(ctx, LocalDeliveryOptions())
		interrupted, err = s.await(ctx, workflow.ExecuteLocalActivity(lctx, a.Deliver, tick), &receipt)
		if interrupted || err == nil || activities.IsRejected(err) || temporal.IsCanceledError(err) {
			return receipt, interrupted, err
		}
		s.showDetails(ctx) // the tick in flight, while it waits for its retries
		if _, err := workflow.AwaitWithTimeout(ctx, RetryDelay(err), func() bool { return s.redirect }); err != nil {
			return receipt, false, err
		}
		if s.redirect {
			return receipt, true, nil
		}
		tick.EarlierAttempts = 1
	}
	actx := workflow.WithActivityOptions(ctx, DeliveryOptions())
	interrupted, err = s.await(ctx, workflow.ExecuteActivity(actx, a.Deliver, tick), &receipt)
	return receipt, interrupted, err
}

// await waits for an activity's result, unless a redirect comes first.
func (s *source) await(ctx workflow.Context, future workflow.Future, result any) (interrupted bool, err error) {
	if err := workflow.Await(ctx, func() bool { return future.IsReady() || s.redirect }); err != nil {
		return false, err
	}
	if !future.IsReady() {
		return true, nil
	}
	return false, future.Get(ctx, result)
}

// RetryDelay is how long to wait after a failed first attempt: as long as the sink's
// Retry-After asked, or the retry policy's first interval.
func RetryDelay(err error) time.Duration {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NextRetryDelay() > 0 {
		return appErr.NextRetryDelay()
	}
	return DeliveryOptions().RetryPolicy.InitialInterval
}

// deadLetter posts a rejected tick to the dead-letter sink, if the source has one.
func (s *source) deadLetter(ctx workflow.Context, tick activities.Tick, rejection activities.Rejection) error {
	if s.cfg.DeadLetterSink == "" {
		return nil
	}
	var a *activities.Activities
	req := activities.DeadLetterRequest{Tick: tick, Sink: s.cfg.DeadLetterSink, Rejection: rejection}
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, DeliveryOptions()), a.DeadLetter, req).Get(ctx, nil)
	switch {
	case err == nil:
		s.state.DeadLettered++
	case activities.IsRejected(err):
		s.logger.Error("dead-letter sink rejected the tick too", "sequence", tick.Sequence, "id", tick.ID, "error", err)
	default:
		return err // cancellation, as for deliveries
	}
	return nil
}

// EventID is the CloudEvent id of tick seq of a source instance.
func EventID(instanceID string, seq int64) string {
	return fmt.Sprintf("%s-%d", instanceID, seq)
}

package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/tzdb"
)

// Input is the workflow's argument: the source's configuration and, after a continue-as-new,
// the state it carries over.
type Input struct {
	Config Config
	State  State
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
			NonRetryableErrorTypes: []string{contract.ErrRejected},
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
			NonRetryableErrorTypes: []string{contract.ErrRejected},
		},
	}
}

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
	if err := s.recordConfig(ctx); err != nil {
		return err
	}
	if err := s.register(ctx); err != nil {
		return err
	}
	return s.run(ctx)
}

// run is the source's main loop: it sends ticks until the source ends, is stopped, or continues
// as new. A group's member runs the same loop in a coroutine of the group's workflow.
func (s *source) run(ctx workflow.Context) error {
	counts := newTickCounts(s.workflowID, s.state)
	for steps := 0; ; steps++ {
		s.showDetails(ctx) // after each delivery, rejection, skip, wake-up and resume
		if s.finishing(ctx) {
			done, err := s.finish(ctx)
			counts.report(ctx, s.state)
			if done || err != nil {
				return err
			}
			continue // resumed: the stop was taken back
		}
		if s.continueAsNewDue(ctx, steps) {
			return s.continueAsNew(ctx, steps)
		}
		if s.state.Paused {
			if err := s.waitWhilePaused(ctx); err != nil {
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
		handled, err := s.deliver(ctx, f)
		counts.report(ctx, s.state) // abandoned by a stop
		if err != nil {
			return err
		}
		if handled {
			s.ticks++
		}
	}
}

// waitWhilePaused waits until the source is resumed or stopped, or its group continues as new.
func (s *source) waitWhilePaused(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return !s.state.Paused || s.state.Stopping || s.draining() })
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
	// localFirst: the run has localDeliveryChange, so a tick's first attempt may be a local
	// activity.
	localFirst bool
	// hardened: the run has hardenedChange; loadZone is how it loads time zones.
	hardened bool
	loadZone zoneLoader
	// stopMoved: a stop or a resume moved the end of the stop's grace; a wait looks again.
	stopMoved bool
	// ticks this run handled: delivered, rejected or abandoned.
	ticks int
	// updatedAt is the time of the last workflow task that handled an update (a task's time,
	// workflow.Now, is its own): see firstAttemptApart.
	updatedAt time.Time
	// finished: the run has ended the source, stopped or past its last tick.
	finished bool
	// recordsConfig: the run has configMemoChange, so it keeps its memo up to date.
	recordsConfig bool
	// applied receives SignalApply.
	applied workflow.ReceiveChannel
	// group is the group that the source is a member of; nil for a source of its own. parked:
	// the member stopped for its group's continue-as-new. alone: its sink did not answer within
	// a batch's budget, so it sends its ticks alone until the group's next run.
	group  *group
	parked bool
	alone  bool
}

func newSource(ctx workflow.Context, in Input) (*source, error) {
	info := workflow.GetInfo(ctx)
	return initSource(ctx, &source{cfg: in.Config.withDefaults(), state: in.State, workflowID: info.WorkflowExecution.ID,
		logger: workflow.GetLogger(ctx), loadZone: machineZones})
}

// initSource completes a new source, or a new run of one: its versions, its instance id and
// anchor on its first run, and its schedule.
func initSource(ctx workflow.Context, s *source) (*source, error) {
	info := workflow.GetInfo(ctx)
	s.localFirst = workflow.GetVersion(ctx, localDeliveryChange, workflow.DefaultVersion, 1) >= 1
	s.hardened = workflow.GetVersion(ctx, hardenedChange, workflow.DefaultVersion, 1) >= 1
	if s.hardened {
		s.loadZone = tzdb.Load
	}
	s.recordsConfig = workflow.GetVersion(ctx, configMemoChange, workflow.DefaultVersion, 1) >= 1
	if s.state.InstanceID == "" {
		s.state.InstanceID = info.WorkflowExecution.RunID
		if s.hardened && info.FirstRunID != "" {
			s.state.InstanceID = info.FirstRunID // the same before and after a reset
		}
	}
	if s.state.Anchor.IsZero() {
		s.state.Anchor, s.state.Cursor = startAt(s.cfg, workflow.Now(ctx))
		s.state.Origin = s.state.Cursor
	}
	if s.state.Cursor.IsZero() {
		// State from the first version: tick n was due at Anchor + n × Interval.
		s.state.Cursor = s.state.Anchor.Add(time.Duration(s.state.Sequence) * s.cfg.Interval)
	}
	sched, err := newSchedule(s.cfg, s.state.Anchor, s.loadZone)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", nil)
	}
	s.sched = sched
	return s, nil
}

// ended: the source has sent its last tick.
func (s *source) ended() bool {
	if s.state.InFlight != nil || len(s.state.Triggers) > 0 || len(s.state.Backfills) > 0 {
		return false
	}
	if s.cfg.MaxTicks > 0 && s.state.Sequence >= s.cfg.MaxTicks {
		return true
	}
	return !s.cfg.EndAt.IsZero() && s.sched.next(s.state.Cursor).After(s.cfg.EndAt)
}

// continueAsNewDue: this run has handled ContinueAsNewAfter ticks (turns of the main loop in
// runs recorded before hardenedChange), or the server suggests continuing as new. A group's
// member continues as new when its group does.
func (s *source) continueAsNewDue(ctx workflow.Context, steps int) bool {
	if s.group != nil {
		return s.draining()
	}
	done := steps
	if s.hardened {
		done = s.ticks
	}
	return done >= s.cfg.ContinueAsNewAfter || (steps > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested())
}

// showDetails sets the current details that `temporal workflow describe` and the Web UI show.
// It adds nothing to the history, so it needs no versioning; it runs on every tick, so it
// builds the status with one next fire time, not NextFireTimes.
func (s *source) showDetails(ctx workflow.Context) {
	if s.group != nil {
		return // the details are the group's
	}
	workflow.SetCurrentDetails(ctx, s.statusWith(1).CurrentDetails())
}

func (s *source) continueAsNew(ctx workflow.Context, steps int) error {
	if s.group != nil {
		return errParked // the group carries the state
	}
	// Updates are handled synchronously; waiting for them carries every change they made.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	s.drainApplied(ctx)
	s.logger.Info("continuing as new", "sequence", s.state.Sequence, "steps", steps)
	return workflow.NewContinueAsNewError(ctx, CronSource, Input{Config: s.cfg, State: s.state})
}

// tick is the next tick, due at t: its identity depends only on the source instance and the
// sequence, so every retry, replay and run sends the same event.
func (s *source) tick(t time.Time) contract.Tick {
	seq := s.state.Sequence + 1
	return contract.Tick{
		ID:              EventID(s.state.InstanceID, seq),
		Sequence:        seq,
		Time:            t,
		Type:            s.cfg.Type,
		Source:          s.cfg.Source,
		Subject:         s.cfg.Subject,
		Extensions:      s.cfg.Extensions,
		WorkflowID:      s.workflowID,
		Sink:            s.cfg.Sink,
		SinkCredential:  s.cfg.SinkCredential,
		ContentMode:     s.cfg.ContentMode,
		Data:            s.cfg.Data,
		DataContentType: s.cfg.DataContentType,
	}
}

// EventID is the CloudEvent id of tick seq of a source instance.
func EventID(instanceID string, seq int64) string {
	return fmt.Sprintf("%s-%d", instanceID, seq)
}

package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hello-cron/cronsource/activities/contract"
)

// DeliveryPolicy is how hard a source tries to deliver each tick, with the names of Knative's
// DeliverySpec. The zero policy, which is no policy, retries a tick until it is delivered or
// rejected: the promise of no loss. A policy that gives up makes a tick undeliverable once its
// retries or its maximum age are spent: it goes to the dead-letter sink if the source has one, is
// counted and logged, and the source goes on with the next.
type DeliveryPolicy struct {
	// Retry is how many times a failed attempt is retried; nil: no limit.
	Retry *int32 `json:",omitempty"`
	// Backoff and BackoffDelay set the wait after failed attempt n: linear BackoffDelay × n,
	// exponential (the default) BackoffDelay × 2^n, at most contract.MaxBackoff. A sink's
	// Retry-After still sets its own wait. A zero BackoffDelay is DefaultBackoffDelay.
	Backoff      contract.Backoff `json:",omitempty"`
	BackoffDelay time.Duration    `json:",omitempty"`
	// Timeout bounds each attempt (the worker's --delivery-timeout too); zero: the worker's alone.
	Timeout time.Duration `json:",omitempty"`
	// MaxAge is how long after its scheduled time a tick may still be attempted; zero: no limit.
	MaxAge time.Duration `json:",omitempty"`
}

// DefaultBackoffDelay is the first wait of a policy that sets none: Temporal's own first retry
// interval for sources without a policy.
const DefaultBackoffDelay = time.Second

// Equal reports whether p and q are the same policy; nil is the zero policy.
func (p *DeliveryPolicy) Equal(q *DeliveryPolicy) bool {
	a, b := p.orZero(), q.orZero()
	if (a.Retry == nil) != (b.Retry == nil) || a.Retry != nil && *a.Retry != *b.Retry {
		return false
	}
	a.Retry, b.Retry = nil, nil
	return a == b
}

func (p *DeliveryPolicy) orZero() DeliveryPolicy {
	if p == nil {
		return DeliveryPolicy{}
	}
	return *p
}

// String shows the policy's settings by their flags, "none" for the zero policy.
func (p *DeliveryPolicy) String() string {
	if p.Equal(nil) {
		return "none"
	}
	var parts []string
	if p.Retry != nil {
		parts = append(parts, fmt.Sprintf("retry=%d", *p.Retry))
	}
	if p.Backoff != "" {
		parts = append(parts, "backoff-policy="+string(p.Backoff))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"backoff-delay", p.BackoffDelay}, {"timeout", p.Timeout}, {"max-age", p.MaxAge}} {
		if d.v != 0 {
			parts = append(parts, d.flag+"="+d.v.String())
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// DeliveryStatus is a delivery policy as describe shows it.
type DeliveryStatus struct {
	Retry         *int32 `json:"retry,omitempty"` // absent: no limit
	BackoffPolicy string `json:"backoffPolicy"`
	BackoffDelay  string `json:"backoffDelay"`
	Timeout       string `json:"timeout,omitempty"`
	MaxAge        string `json:"maxAge,omitempty"`
}

// Text is the policy in a line: "retry 3, linear backoff from 1s, timeout 5s".
func (d *DeliveryStatus) Text() string {
	if d == nil {
		return "retry until delivered or rejected"
	}
	retry := "retry until delivered or rejected"
	if d.Retry != nil {
		retry = fmt.Sprintf("retry %d", *d.Retry)
	}
	s := fmt.Sprintf("%s, %s backoff from %s", retry, d.BackoffPolicy, d.BackoffDelay)
	if d.Timeout != "" {
		s += ", timeout " + d.Timeout
	}
	if d.MaxAge != "" {
		s += ", max age " + d.MaxAge
	}
	return s
}

func (p *DeliveryPolicy) status() *DeliveryStatus {
	if p == nil {
		return nil
	}
	a := p.attempts()
	st := &DeliveryStatus{Retry: p.Retry, BackoffPolicy: string(a.Backoff), BackoffDelay: a.Delay.String()}
	if p.Timeout != 0 {
		st.Timeout = p.Timeout.String()
	}
	if p.MaxAge != 0 {
		st.MaxAge = p.MaxAge.String()
	}
	return st
}

// normalized is nil for the zero policy.
func (p *DeliveryPolicy) normalized() *DeliveryPolicy {
	if p.Equal(nil) {
		return nil
	}
	c := *p
	return &c
}

// validate reports the first bad field by its starter flag.
func (p *DeliveryPolicy) validate() error {
	if p == nil {
		return nil
	}
	switch {
	case p.Retry != nil && *p.Retry < 0:
		return &FieldError{"retry", *p.Retry, "must not be negative"}
	case p.BackoffDelay != 0 && (p.BackoffDelay < MinInterval || p.BackoffDelay > contract.MaxBackoff):
		return &FieldError{"backoff-delay", p.BackoffDelay, fmt.Sprintf("must be from %v to %v", MinInterval, contract.MaxBackoff)}
	case p.Timeout != 0 && (p.Timeout < MinInterval || p.Timeout >= AttemptTimeout):
		return &FieldError{"timeout", p.Timeout, fmt.Sprintf("must be from %v to less than %v", MinInterval, AttemptTimeout)}
	case p.MaxAge != 0 && (p.MaxAge < MinInterval || p.MaxAge > MaxInterval):
		return &FieldError{"max-age", p.MaxAge, fmt.Sprintf("must be from %v to %v", MinInterval, MaxInterval)}
	}
	if err := p.Backoff.Validate(); err != nil {
		return &FieldError{"backoff-policy", p.Backoff, err.Error()}
	}
	return nil
}

// attempts is what the activity applies of the policy.
func (p *DeliveryPolicy) attempts() *contract.Delivery {
	d := &contract.Delivery{Backoff: p.Backoff, Delay: p.BackoffDelay, Timeout: p.Timeout}
	if d.Backoff == "" {
		d.Backoff = contract.Exponential
	}
	if d.Delay == 0 {
		d.Delay = DefaultBackoffDelay
	}
	return d
}

// policy is the source's delivery policy for the next send, nil if it has none, or if its
// history was recorded without deliveryPolicyChange.
func (s *source) policy(ctx workflow.Context) *DeliveryPolicy {
	if s.cfg.Delivery == nil || workflow.GetVersion(ctx, deliveryPolicyChange, workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	return s.cfg.Delivery
}

// errUndeliverable is why a tick's delivery policy gave it up, after how many attempts (0: not
// known).
type errUndeliverable struct {
	reason   string
	attempts int32
}

func (e errUndeliverable) Error() string { return e.reason }

// spentAfterFirst reports, after a failed first attempt (a local activity), whether the policy
// gives the tick up rather than retry it: it allows no retry, or the next attempt would come
// after the tick's maximum age.
func (p *DeliveryPolicy) spentAfterFirst(err error, next, deadline time.Time) error {
	switch {
	case p == nil:
		return nil
	case p.Retry != nil && *p.Retry == 0:
		return errUndeliverable{fmt.Sprintf("undeliverable: no retry (--retry 0); error: %s", lastError(err)), 1}
	case !deadline.IsZero() && !next.Before(deadline):
		return errUndeliverable{fmt.Sprintf("undeliverable: its next attempt would come after its --max-age %v; last error: %s",
			p.MaxAge, lastError(err)), 1}
	}
	return nil
}

// lastError is the message of the failure under an activity's error: the sink's answer.
func lastError(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		if last := timeout.Unwrap(); last != nil {
			return lastError(last)
		}
		return timeout.Error()
	}
	return err.Error()
}

// spent reports whether the activity's error says that the policy's retries or maximum age ran
// out, and why: a timeout of the whole activity (its ScheduleToCloseTimeout is the maximum age),
// or a retryable failure, which the activity only returns when its attempts are spent. (Temporal
// also says so in the error's retry state, which the SDK's test environment leaves unset.)
func spent(err error, p *DeliveryPolicy, now, deadline time.Time) (error, bool) {
	if p == nil || err == nil {
		return nil, false
	}
	tooOld := errUndeliverable{reason: fmt.Sprintf("undeliverable: older than its --max-age %v; last error: %s", p.MaxAge, lastError(err))}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) && timeout.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE {
		return tooOld, true
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.NonRetryable() || temporal.IsCanceledError(err) {
		return nil, false
	}
	if p.Retry == nil || !deadline.IsZero() && !now.Add(RetryDelay(err)).Before(deadline) {
		return tooOld, true
	}
	return errUndeliverable{fmt.Sprintf("undeliverable: %d retries spent (--retry); last error: %s", *p.Retry, lastError(err)), *p.Retry + 1}, true
}

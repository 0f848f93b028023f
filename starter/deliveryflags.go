package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/isoduration"
	"github.com/hello-cron/cronsource/workflows"
)

// deliveryFlags are a source's delivery policy, with the names of Knative's DeliverySpec.
type deliveryFlags struct {
	retry, backoffPolicy, backoffDelay, timeout, maxAge string
}

func (f *deliveryFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.retry, "retry", "unlimited", "how many times a failed attempt is retried before the tick is undeliverable "+
		"(dead-lettered, or counted and logged); unlimited: until it is delivered")
	fs.StringVar(&f.backoffPolicy, "backoff-policy", string(contract.Exponential),
		"the wait after failed attempt n: linear (--backoff-delay × n) or exponential (--backoff-delay × 2^n)")
	fs.StringVar(&f.backoffDelay, "backoff-delay", "PT1S", "ISO-8601 duration (or 1s): the base of --backoff-policy")
	fs.StringVar(&f.timeout, "timeout", "", "ISO-8601 duration (or 5s): bounds each attempt, with the worker's --delivery-timeout (default: that alone)")
	fs.StringVar(&f.maxAge, "max-age", "", "ISO-8601 duration (or 1h): a tick not delivered this long after its scheduled time is undeliverable (default: no limit)")
}

// policy is the delivery policy the flags give, or nil if none of them was given: any of them
// sets the whole policy.
func (f *deliveryFlags) policy(fs *pflag.FlagSet) (*workflows.DeliveryPolicy, error) {
	given := false
	for _, name := range []string{"retry", "backoff-policy", "backoff-delay", "timeout", "max-age"} {
		given = given || fs.Changed(name)
	}
	if !given {
		return nil, nil
	}
	p := &workflows.DeliveryPolicy{Backoff: contract.Backoff(f.backoffPolicy)}
	if f.retry != "unlimited" {
		n, err := strconv.ParseInt(f.retry, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("invalid --retry %q: must be a number from 0, or unlimited", f.retry)
		}
		r := int32(n)
		p.Retry = &r
	}
	for _, d := range []struct {
		flag, value string
		dst         *time.Duration
	}{{"backoff-delay", f.backoffDelay, &p.BackoffDelay}, {"timeout", f.timeout, &p.Timeout}, {"max-age", f.maxAge, &p.MaxAge}} {
		v, err := parseDuration(d.value)
		if err != nil {
			return nil, fmt.Errorf("invalid --%s %q: %w", d.flag, d.value, err)
		}
		*d.dst = v
	}
	return p, nil
}

// parseDuration takes an ISO-8601 duration such as PT1S, or a Go one such as 1s; "" is zero.
func parseDuration(s string) (time.Duration, error) {
	switch {
	case s == "":
		return 0, nil
	case strings.HasPrefix(s, "P"):
		return isoduration.Parse(s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("must be an ISO-8601 duration such as PT1S or PT0.5S, or a duration such as 1s")
	}
	return d, nil
}

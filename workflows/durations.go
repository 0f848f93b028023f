package workflows

import (
	"encoding/json"
	"fmt"
	"time"
)

// jsonDuration is a duration as the workflow's inputs accept it in JSON: integer nanoseconds,
// which is how Go encodes a time.Duration and how the starter sends it, or a string such as
// "1m30s", which is what people type into Temporal's tools and what the status shows.
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: must be a string such as \"90s\" or \"1h30m\", or integer nanoseconds", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration %s: must be a string such as \"90s\" or \"1h30m\", or integer nanoseconds", b)
	}
	*d = jsonDuration(n)
	return nil
}

// setDuration stores d, if it was given, in dst.
func setDuration(dst *time.Duration, d *jsonDuration) {
	if d != nil {
		*dst = time.Duration(*d)
	}
}

// UnmarshalJSON decodes a Config, taking its durations in either form of jsonDuration.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	aux := struct {
		*plain
		Interval, Jitter, CatchupWindow *jsonDuration
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	setDuration(&c.Interval, aux.Interval)
	setDuration(&c.Jitter, aux.Jitter)
	setDuration(&c.CatchupWindow, aux.CatchupWindow)
	return nil
}

// UnmarshalJSON decodes a ConfigPatch, taking its durations in either form of jsonDuration.
func (p *ConfigPatch) UnmarshalJSON(b []byte) error {
	type plain ConfigPatch
	aux := struct {
		*plain
		Interval, Jitter, CatchupWindow *jsonDuration
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	p.Interval, p.Jitter, p.CatchupWindow = (*time.Duration)(aux.Interval), (*time.Duration)(aux.Jitter),
		(*time.Duration)(aux.CatchupWindow)
	return nil
}

// UnmarshalJSON decodes a StopRequest, taking its grace in either form of jsonDuration.
func (r *StopRequest) UnmarshalJSON(b []byte) error {
	type plain StopRequest
	aux := struct {
		*plain
		Grace *jsonDuration
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	r.Grace = (*time.Duration)(aux.Grace)
	return nil
}

// UnmarshalJSON decodes a DeliveryPolicy, taking its durations in either form of jsonDuration.
func (p *DeliveryPolicy) UnmarshalJSON(b []byte) error {
	type plain DeliveryPolicy
	aux := struct {
		*plain
		BackoffDelay, Timeout, MaxAge *jsonDuration
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	setDuration(&p.BackoffDelay, aux.BackoffDelay)
	setDuration(&p.Timeout, aux.Timeout)
	setDuration(&p.MaxAge, aux.MaxAge)
	return nil
}

package contract

import (
	"fmt"
	"time"
)

// Backoff is how the wait between a tick's attempts grows, in Knative's words.
type Backoff string

// The backoffs: after failed attempt n (from 1), linear waits Delay × n and exponential waits
// Delay × 2^n, as Knative's DeliverySpec does.
const (
	Linear      Backoff = "linear"
	Exponential Backoff = "exponential"
)

// Validate accepts the backoffs, and empty for exponential.
func (b Backoff) Validate() error {
	switch b {
	case "", Linear, Exponential:
		return nil
	}
	return fmt.Errorf("must be linear or exponential")
}

// MaxBackoff bounds one wait between attempts.
const MaxBackoff = time.Hour

// Delivery is what the activity applies of a source's delivery policy to each attempt: the wait
// after a failure (unless the sink's Retry-After says otherwise) and the attempt's timeout. The
// workflow applies the rest, the number of retries and the tick's maximum age.
type Delivery struct {
	Backoff Backoff       `json:",omitempty"`
	Delay   time.Duration `json:",omitempty"`
	// Timeout bounds one attempt's request; zero: the worker's HTTP timeout alone.
	Timeout time.Duration `json:",omitempty"`
}

// Wait is how long to wait after failed attempt n (from 1), at most MaxBackoff.
func (d Delivery) Wait(n int32) time.Duration {
	n = max(n, 1)
	if d.Backoff == Linear {
		if d.Delay > MaxBackoff/time.Duration(n) {
			return MaxBackoff
		}
		return d.Delay * time.Duration(n)
	}
	if n >= 62 || d.Delay > MaxBackoff>>n {
		return MaxBackoff
	}
	return d.Delay << n
}

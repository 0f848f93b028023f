package contract

import (
	"fmt"
	"time"
)

// ContentMode is how an event is put on the wire: binary (attributes in ce- headers, the data
// as the body) or structured (the whole event as one application/cloudevents+json body).
type ContentMode string

// The content modes.
const (
	Binary     ContentMode = "binary"
	Structured ContentMode = "structured"
)

// Validate accepts binary, structured, and empty for binary.
func (m ContentMode) Validate() error {
	switch m {
	case "", Binary, Structured:
		return nil
	}
	return fmt.Errorf("must be binary or structured")
}

// Tick is one scheduled event, as the workflow decided it. Every retry of a delivery sends the
// same Tick, so the sink can dedupe on Source and ID.
type Tick struct {
	ID         string
	Sequence   int64
	Time       time.Time // the scheduled time, not the time of sending
	Type       string
	Source     string
	WorkflowID string
	// Sink is the source's own sink; empty means the worker's.
	Sink string
	// SinkCredential names the worker's credential for the sink (see sink.Credentials); empty:
	// none.
	SinkCredential string `json:",omitempty"`
	ContentMode    ContentMode
	// Data is the event's payload; nil means the original demo's {"Id","JobId"} JSON.
	Data []byte
	// DataContentType is the media type of Data; empty means application/json. It is ignored
	// when Data is nil: the default payload is always application/json.
	DataContentType string
	// Subject is the event's subject; empty: none.
	Subject string `json:",omitempty"`
	// Extensions are the source's own extension attributes: they win over the worker's
	// K_CE_OVERRIDES, and never replace an attribute of the tick.
	Extensions map[string]string `json:",omitempty"`
	// EarlierAttempts were made before this activity took the tick over, so that attempts
	// are numbered across both.
	EarlierAttempts int32 `json:",omitempty"`
	// Delivery is the source's delivery policy for each attempt; nil: Temporal's retry policy
	// alone sets the waits.
	Delivery *Delivery `json:",omitempty"`
	// Backfill marks a tick sent by a backfill: a scheduled time the source never sent, with no
	// sequence number of its own (Sequence 0).
	Backfill bool `json:",omitempty"`
}

// DeadLetterRequest asks for a rejected tick to be posted to a dead-letter sink.
type DeadLetterRequest struct {
	Tick Tick
	Sink string // the dead-letter sink URL
	// Credential names the worker's credential for Sink; empty: none.
	Credential string    `json:",omitempty"`
	Rejection  Rejection // why the tick's sink refused it
}

package activities

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
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
	Sink        string
	ContentMode ContentMode
}

// Data is the event's payload: the original demo's shape.
type Data struct {
	ID    string `json:"Id"`
	JobID string `json:"JobId"`
}

// Event builds the tick's CloudEvent. overrides are extensions from K_CE_OVERRIDES; they are set
// first, so no override can replace an attribute of the tick.
func (t Tick) Event(overrides map[string]string) (cloudevents.Event, error) {
	e := cloudevents.NewEvent(cloudevents.VersionV1)
	for name, value := range overrides {
		e.SetExtension(name, value)
	}
	e.SetID(t.ID)
	e.SetType(t.Type)
	e.SetSource(t.Source)
	e.SetTime(t.Time)
	e.SetExtension(SequenceExtension, strconv.FormatInt(t.Sequence, 10))
	data, err := json.Marshal(Data{ID: t.WorkflowID, JobID: strconv.FormatInt(t.Sequence, 10)})
	if err != nil {
		return e, fmt.Errorf("encode data: %w", err)
	}
	if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return e, fmt.Errorf("set data: %w", err)
	}
	if err := e.Validate(); err != nil {
		return e, fmt.Errorf("invalid event: %w", err)
	}
	return e, nil
}

// SequenceExtension is the extension attribute that carries a tick's sequence number.
const SequenceExtension = "sequence"

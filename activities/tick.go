package activities

import (
	"encoding/json"
	"fmt"
	"mime"
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
	// EarlierAttempts were made before this activity took the tick over, so that attempts
	// are numbered across both.
	EarlierAttempts int32 `json:",omitempty"`
}

// Data is the default payload: the original demo's shape.
type Data struct {
	ID    string `json:"Id"`
	JobID string `json:"JobId"`
}

// Event builds the tick's CloudEvent, with Data (which must pass CheckData) or the default
// payload. overrides are extensions from K_CE_OVERRIDES; they are set first, so no override can
// replace an attribute of the tick.
func (t Tick) Event(overrides map[string]string) (cloudevents.Event, error) {
	e := cloudevents.NewEvent(cloudevents.VersionV1)
	for name, value := range overrides {
		e.SetExtension(name, value)
	}
	e.SetID(t.ID)
	e.SetType(t.Type)
	e.SetSource(t.Source)
	e.SetTime(t.Time)
	e.SetExtension(SequenceExtension, FormatSequence(t.Sequence))
	data, contentType, err := t.payload()
	if err != nil {
		return e, err
	}
	if err := e.SetData(contentType, data); err != nil {
		return e, fmt.Errorf("set data: %w", err)
	}
	// SetData marks raw bytes for data_base64 in structured mode. JSON, which payload has
	// checked, goes in as JSON instead, as the CloudEvents JSON format asks; the SDK writes
	// only application/json (and a few types of its own) inline, so other types keep base64.
	if mediaType, _, _ := mime.ParseMediaType(contentType); mediaType == cloudevents.ApplicationJSON {
		e.DataBase64 = false
	}
	if err := e.Validate(); err != nil {
		return e, fmt.Errorf("invalid event: %w", err)
	}
	return e, nil
}

// payload returns the tick's data and its content type: Data as it is, checked by CheckData, or
// the default payload.
func (t Tick) payload() ([]byte, string, error) {
	if t.Data != nil {
		contentType := t.DataContentType
		if contentType == "" {
			contentType = cloudevents.ApplicationJSON
		}
		if err := CheckData(t.Data, contentType); err != nil {
			return nil, "", fmt.Errorf("invalid data: %w", err)
		}
		return t.Data, contentType, nil
	}
	data, err := json.Marshal(Data{ID: t.WorkflowID, JobID: strconv.FormatInt(t.Sequence, 10)})
	if err != nil {
		return nil, "", fmt.Errorf("encode data: %w", err)
	}
	return data, cloudevents.ApplicationJSON, nil
}

// SequenceExtension is the extension attribute that carries a tick's sequence number, as
// FormatSequence writes it.
const SequenceExtension = "sequence"

// FormatSequence writes a tick's sequence number n (from 1) as the sequence extension's value:
// decimal, zero-padded to 19 digits, the width of the largest int64. The CloudEvents sequence
// extension asks for values that order lexicographically, so "0000000000000000009" comes before
// "0000000000000000010" as 9 comes before 10; an unpadded "10" would sort before "9".
func FormatSequence(n int64) string {
	return fmt.Sprintf("%019d", n)
}

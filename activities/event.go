package activities

import (
	"encoding/json"
	"fmt"
	"mime"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/hello-cron/cronsource/activities/contract"
)

// Data is the default payload: the original demo's shape.
type Data struct {
	ID    string `json:"Id"`
	JobID string `json:"JobId"`
}

// NewEvent builds the CloudEvent of tick t, with its Data (which must pass contract.CheckData)
// or the default payload. overrides are extensions from K_CE_OVERRIDES. They are set first,
// then the source's own extensions (t.Extensions), which win over them, then the tick's own
// attributes, so that neither can replace one of those.
func NewEvent(t contract.Tick, overrides map[string]string) (cloudevents.Event, error) {
	e := cloudevents.NewEvent(cloudevents.VersionV1)
	for _, ext := range []map[string]string{overrides, t.Extensions} {
		for name, value := range ext {
			e.SetExtension(name, value)
		}
	}
	e.SetID(t.ID)
	e.SetType(t.Type)
	e.SetSource(t.Source)
	e.SetTime(t.Time)
	if t.Subject != "" {
		e.SetSubject(t.Subject)
	}
	e.SetExtension(SequenceExtension, FormatSequence(t.Sequence))
	e.SetExtension(BackfillExtension, nil) // only a backfill's ticks carry it
	if t.Backfill {
		e.SetExtension(BackfillExtension, "true")
	}
	data, contentType, err := payload(t)
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
func payload(t contract.Tick) ([]byte, string, error) {
	if t.Data != nil {
		contentType := t.DataContentType
		if contentType == "" {
			contentType = cloudevents.ApplicationJSON
		}
		if err := contract.CheckData(t.Data, contentType); err != nil {
			return nil, "", fmt.Errorf("invalid data: %w", err)
		}
		return t.Data, contentType, nil
	}
	job := strconv.FormatInt(t.Sequence, 10)
	if t.Backfill {
		job = "backfill-" + t.Time.UTC().Format(time.RFC3339Nano)
	}
	data, err := json.Marshal(Data{ID: t.WorkflowID, JobID: job})
	if err != nil {
		return nil, "", fmt.Errorf("encode data: %w", err)
	}
	return data, cloudevents.ApplicationJSON, nil
}

// BackfillExtension marks the events of a backfill, with the value "true".
const BackfillExtension = "backfill"

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

package activities

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/activities/contract"
)

func TestTickPayload(t *testing.T) {
	const defaultData = `{"Id":"hello-cron","JobId":"3"}`
	binaryData := []byte{0, 1, 2, 0xfe, 0xff}
	tests := []struct {
		name            string
		mode            contract.ContentMode
		data            []byte
		contentType     string
		wantContentType string // of the event, and the Content-Type header in binary mode
		wantData        []byte
		wantMember      string // structured mode: "data" (inline JSON) or "data_base64"
	}{
		{name: "default binary", mode: contract.Binary, wantContentType: "application/json", wantData: []byte(defaultData)},
		{name: "default structured", mode: contract.Structured, wantContentType: "application/json",
			wantData: []byte(defaultData), wantMember: "data"},
		{name: "content type ignored without data", mode: contract.Binary, contentType: "text/plain",
			wantContentType: "application/json", wantData: []byte(defaultData)},
		{name: "custom JSON binary", mode: contract.Binary, data: []byte(`{"a":[1,2]}`),
			wantContentType: "application/json", wantData: []byte(`{"a":[1,2]}`)},
		{name: "custom JSON structured", mode: contract.Structured, data: []byte(`{"a":[1,2]}`),
			wantContentType: "application/json", wantData: []byte(`{"a":[1,2]}`), wantMember: "data"},
		{name: "JSON with charset structured", mode: contract.Structured, data: []byte(`"hi"`),
			contentType: "application/json; charset=utf-8", wantContentType: "application/json; charset=utf-8",
			wantData: []byte(`"hi"`), wantMember: "data"},
		{name: "+json structured", mode: contract.Structured, data: []byte(`{"a":1}`), contentType: "application/vnd.hello+json",
			wantContentType: "application/vnd.hello+json", wantData: []byte(`{"a":1}`), wantMember: "data_base64"},
		{name: "text binary", mode: contract.Binary, data: []byte("hello, sink"), contentType: "text/plain",
			wantContentType: "text/plain", wantData: []byte("hello, sink")},
		{name: "text structured", mode: contract.Structured, data: []byte("hello, sink"), contentType: "text/plain",
			wantContentType: "text/plain", wantData: []byte("hello, sink"), wantMember: "data_base64"},
		{name: "octets binary", mode: contract.Binary, data: binaryData, contentType: "application/octet-stream",
			wantContentType: "application/octet-stream", wantData: binaryData},
		{name: "octets structured", mode: contract.Structured, data: binaryData, contentType: "application/octet-stream",
			wantContentType: "application/octet-stream", wantData: binaryData, wantMember: "data_base64"},
		{name: "empty text binary", mode: contract.Binary, data: []byte{}, contentType: "text/plain",
			wantContentType: "text/plain", wantData: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newTestSink(t, http.StatusAccepted, "")
			tk := tick()
			tk.ContentMode, tk.Data, tk.DataContentType = tt.mode, tt.data, tt.contentType
			if _, err := deliver(t, New(sink.Client(), sink.URL, nil), tk); err != nil {
				t.Fatalf("deliver: %v", err)
			}
			e := sink.event(t)
			if e.DataContentType() != tt.wantContentType {
				t.Errorf("datacontenttype = %q, want %q", e.DataContentType(), tt.wantContentType)
			}
			if string(e.Data()) != string(tt.wantData) {
				t.Errorf("data = %q, want %q", e.Data(), tt.wantData)
			}
			_, header, body := sink.last()
			if tt.mode == contract.Binary {
				if got := header.Get("Content-Type"); got != tt.wantContentType {
					t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
				}
				if string(body) != string(tt.wantData) {
					t.Errorf("body = %q, want the data %q", body, tt.wantData)
				}
				return
			}
			if got := header.Get("Content-Type"); got != "application/cloudevents+json" {
				t.Errorf("Content-Type = %q, want structured mode", got)
			}
			var members map[string]json.RawMessage
			if err := json.Unmarshal(body, &members); err != nil {
				t.Fatalf("structured body %s: %v", body, err)
			}
			switch tt.wantMember {
			case "data":
				if string(members["data"]) != string(tt.wantData) || members["data_base64"] != nil {
					t.Errorf("body %s: want data inline as JSON", body)
				}
			case "data_base64":
				want, _ := json.Marshal(base64.StdEncoding.EncodeToString(tt.wantData))
				if string(members["data_base64"]) != string(want) || members["data"] != nil {
					t.Errorf("body %s: want data_base64 %s", body, want)
				}
			}
		})
	}
}

func TestTickWithInvalidDataIsRejected(t *testing.T) {
	tests := []struct {
		name        string
		data        []byte
		contentType string
	}{
		{name: "not JSON", data: []byte("{"), contentType: ""},
		{name: "bad content type", data: []byte("x"), contentType: "text/"},
		{name: "too big", data: []byte(strings.Repeat("x", contract.MaxDataBytes+1)), contentType: "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newTestSink(t, http.StatusOK, "")
			tk := tick()
			tk.Data, tk.DataContentType = tt.data, tt.contentType
			_, err := deliver(t, New(sink.Client(), sink.URL, nil), tk)
			r, ok := contract.RejectionOf(err)
			if !ok || !contract.IsRejected(err) {
				t.Fatalf("err = %v, want a rejection", err)
			}
			if r.StatusCode != 0 || r.Sink != sink.URL || !strings.Contains(r.Reason, "invalid data") {
				t.Errorf("rejection = %+v, want status 0, the sink and the reason", r)
			}
			if n, _, _ := sink.last(); n != 0 {
				t.Errorf("the sink got %d requests, want none", n)
			}
		})
	}
}

// TestSequenceExtensionOrdersAsAString: the sequence extension of consecutive ticks orders as
// strings as the numbers do, as the CloudEvents sequence extension asks, in both content modes;
// the default payload's JobId stays the plain decimal.
func TestSequenceExtensionOrdersAsAString(t *testing.T) {
	tests := []struct {
		name       string
		prev, next int64
		wantPrev   string
		wantNext   string
	}{
		{name: "9 to 10", prev: 9, next: 10, wantPrev: "0000000000000000009", wantNext: "0000000000000000010"},
		{name: "99 to 100", prev: 99, next: 100, wantPrev: "0000000000000000099", wantNext: "0000000000000000100"},
		{name: "to the largest int64", prev: math.MaxInt64 - 1, next: math.MaxInt64,
			wantPrev: "9223372036854775806", wantNext: "9223372036854775807"},
		{name: "1 to 2", prev: 1, next: 2, wantPrev: "0000000000000000001", wantNext: "0000000000000000002"},
	}
	for _, mode := range []contract.ContentMode{contract.Binary, contract.Structured} {
		for _, tt := range tests {
			t.Run(string(mode)+", "+tt.name, func(t *testing.T) {
				sent := func(seq int64) string {
					t.Helper()
					sink := newTestSink(t, http.StatusAccepted, "")
					tk := tick()
					tk.Sequence, tk.ContentMode = seq, mode
					if _, err := deliver(t, New(sink.Client(), sink.URL, nil), tk); err != nil {
						t.Fatalf("deliver: %v", err)
					}
					e := sink.event(t)
					var data Data
					if err := json.Unmarshal(e.Data(), &data); err != nil || data.JobID != strconv.FormatInt(seq, 10) {
						t.Errorf("data %s: want JobId %d, plain", e.Data(), seq)
					}
					v, ok := e.Extensions()[SequenceExtension].(string)
					if !ok {
						t.Fatalf("sequence extension %#v, want a string", e.Extensions()[SequenceExtension])
					}
					return v
				}
				prev, next := sent(tt.prev), sent(tt.next)
				if prev != tt.wantPrev || next != tt.wantNext {
					t.Errorf("sequence %q then %q, want %q then %q", prev, next, tt.wantPrev, tt.wantNext)
				}
				if !(prev < next) {
					t.Errorf("sequence %q does not sort before %q", prev, next)
				}
			})
		}
	}
}

func TestFormatSequence(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{1, "0000000000000000001"},
		{10, "0000000000000000010"},
		{1234567890123, "0000001234567890123"},
		{math.MaxInt64, "9223372036854775807"},
	}
	for _, tt := range tests {
		if got := FormatSequence(tt.in); got != tt.want || len(got) != 19 {
			t.Errorf("FormatSequence(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNewEventAttributes: the source's own extensions win over K_CE_OVERRIDES, neither replaces
// the sequence, and the subject is set when the source has one. (ceext.CheckName keeps the
// CloudEvents attributes, id, subject and the rest, out of both, and the SDK refuses them too.)
func TestNewEventAttributes(t *testing.T) {
	tests := []struct {
		name       string
		overrides  map[string]string
		extensions map[string]string
		subject    string
		want       map[string]string // extension values; "" means absent
		wantSubj   string
	}{
		{name: "neither", want: map[string]string{"team": "", "region": ""}},
		{name: "override only", overrides: map[string]string{"team": "platform"}, want: map[string]string{"team": "platform"}},
		{name: "source extension only", extensions: map[string]string{"team": "payments"}, want: map[string]string{"team": "payments"}},
		{name: "source extension wins over the override",
			overrides:  map[string]string{"team": "platform", "region": "eu"},
			extensions: map[string]string{"team": "payments"},
			want:       map[string]string{"team": "payments", "region": "eu"}},
		{name: "neither replaces the sequence",
			overrides:  map[string]string{SequenceExtension: "1"},
			extensions: map[string]string{SequenceExtension: "2"},
			want:       map[string]string{SequenceExtension: "0000000000000000003"}},
		{name: "subject", subject: "hello", wantSubj: "hello"},
		{name: "subject with extensions", overrides: map[string]string{"region": "eu"}, extensions: map[string]string{"team": "payments"},
			subject: "hello", want: map[string]string{"team": "payments", "region": "eu"}, wantSubj: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := tick()
			tk.Extensions, tk.Subject = tt.extensions, tt.subject
			e, err := NewEvent(tk, tt.overrides)
			if err != nil {
				t.Fatalf("NewEvent: %v", err)
			}
			if e.ID() != tk.ID || e.Source() != tk.Source || e.Type() != tk.Type || !e.Time().Equal(tk.Time) {
				t.Errorf("event %s; want the tick's id, source, type and time", e)
			}
			if e.Subject() != tt.wantSubj {
				t.Errorf("subject = %q, want %q", e.Subject(), tt.wantSubj)
			}
			ext := e.Extensions()
			for name, want := range tt.want {
				got, ok := ext[name]
				switch {
				case want == "" && ok:
					t.Errorf("extension %s = %v, want it absent", name, got)
				case want != "" && got != want:
					t.Errorf("extension %s = %v, want %q", name, got, want)
				}
			}
		})
	}
}

// TestBackfillMark: only a backfill's tick carries backfill=true; neither K_CE_OVERRIDES nor the
// source's extensions can pose as one. Its default payload names its time, not a sequence.
func TestBackfillMark(t *testing.T) {
	tk := tick()
	tk.Extensions = map[string]string{"backfill": "yes"}
	e, err := NewEvent(tk, map[string]string{"backfill": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := e.Extensions()[BackfillExtension]; ok {
		t.Errorf("a live tick carries backfill=%v", v)
	}
	tk.Backfill, tk.Sequence = true, 0
	e, err = NewEvent(tk, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Extensions()[BackfillExtension] != "true" || e.Extensions()[SequenceExtension] != "0000000000000000000" {
		t.Errorf("backfilled tick's extensions %v", e.Extensions())
	}
	if want := `"JobId":"backfill-` + tk.Time.UTC().Format(time.RFC3339Nano) + `"`; !strings.Contains(string(e.Data()), want) {
		t.Errorf("payload %s, want %s", e.Data(), want)
	}
}

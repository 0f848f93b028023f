package activities

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

func TestDeadLetter(t *testing.T) {
	long := []byte(strings.Repeat("x", 1024))
	tests := []struct {
		name      string
		mode      contract.ContentMode
		dlsStatus int
		rejection contract.Rejection
		want      string            // "delivered", or the error type
		wantExt   map[string]string // the error extensions; "" means absent
	}{
		{name: "binary", mode: contract.Binary, dlsStatus: 202, want: "delivered",
			rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400, Data: []byte("bad event")},
			wantExt: map[string]string{KnativeErrorDestExtension: "http://sink.test/in", KnativeErrorCodeExtension: "400",
				KnativeErrorDataExtension: base64.StdEncoding.EncodeToString([]byte("bad event"))}},
		{name: "structured", mode: contract.Structured, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 422, Data: []byte(`{"e":1}`)},
			wantExt: map[string]string{KnativeErrorDestExtension: "http://sink.test/in", KnativeErrorCodeExtension: "422",
				KnativeErrorDataExtension: base64.StdEncoding.EncodeToString([]byte(`{"e":1}`))}},
		{name: "empty body", mode: contract.Binary, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 403},
			wantExt:   map[string]string{KnativeErrorDestExtension: "http://sink.test/in", KnativeErrorCodeExtension: "403", KnativeErrorDataExtension: ""}},
		{name: "no status", mode: contract.Structured, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Sink: "http://sink.test/in", Reason: "invalid data: not valid JSON"},
			wantExt:   map[string]string{KnativeErrorDestExtension: "http://sink.test/in", KnativeErrorCodeExtension: "", KnativeErrorDataExtension: ""}},
		{name: "long body cut as Knative does", mode: contract.Binary, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400, Data: long},
			wantExt: map[string]string{KnativeErrorDestExtension: "http://sink.test/in", KnativeErrorCodeExtension: "400",
				KnativeErrorDataExtension: base64.StdEncoding.EncodeToString(long[:768])}},
		{name: "no sink credentials to the dead-letter sink", mode: contract.Binary, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Sink: "https://user:s3cret@sink.test/in?x=1", StatusCode: 400},
			wantExt:   map[string]string{KnativeErrorDestExtension: "https://sink.test/in?x=1", KnativeErrorCodeExtension: "400", KnativeErrorDataExtension: ""}},
		{name: "no token as a user name either", mode: contract.Binary, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Sink: "https://t0k3n@sink.test/in", StatusCode: 400},
			wantExt:   map[string]string{KnativeErrorDestExtension: "https://sink.test/in", KnativeErrorCodeExtension: "400", KnativeErrorDataExtension: ""}},
		{name: "abandoned tick of the worker's sink", mode: contract.Binary, dlsStatus: 200, want: "delivered",
			rejection: contract.Rejection{Reason: "abandoned: the source was stopped before the sink took the tick"},
			wantExt:   map[string]string{KnativeErrorDestExtension: "http://127.0.0.1:1", KnativeErrorCodeExtension: "", KnativeErrorDataExtension: ""}},
		{name: "dead-letter sink unavailable", mode: contract.Binary, dlsStatus: 503, want: contract.ErrRetryable,
			rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400}},
		{name: "dead-letter sink rejects", mode: contract.Binary, dlsStatus: 400, want: contract.ErrRejected,
			rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dls := newTestSink(t, tt.dlsStatus, "dls says no")
			// The overrides try to replace the error extensions: the rejection's win.
			a := New(dls.Client(), "http://127.0.0.1:1", map[string]string{
				"team": "platform", KnativeErrorCodeExtension: "999", KnativeErrorDataExtension: "b3ZlcnJpZGU="})
			tk := tick()
			tk.ContentMode = tt.mode
			// So do the source's own extensions.
			tk.Extensions = map[string]string{KnativeErrorDestExtension: "http://source.test/", KnativeErrorDataExtension: "c291cmNl"}
			receipt, err := deadLetter(t, a, contract.DeadLetterRequest{Tick: tk, Sink: dls.URL, Rejection: tt.rejection})
			if tt.want != "delivered" {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != tt.want || appErr.NonRetryable() != (tt.want == contract.ErrRejected) {
					t.Fatalf("err = %v, want type %s", err, tt.want)
				}
				if r, ok := contract.RejectionOf(err); tt.want == contract.ErrRejected &&
					(!ok || r.Sink != dls.URL || r.StatusCode != tt.dlsStatus || string(r.Data) != "dls says no") {
					t.Errorf("rejection = %+v, %v; want the dead-letter sink's", r, ok)
				}
				return
			}
			if err != nil || receipt.Sink != dls.URL || receipt.StatusCode != tt.dlsStatus || receipt.Attempt != 1 {
				t.Fatalf("receipt %+v, err %v; want delivered to the dead-letter sink", receipt, err)
			}
			_, header, _ := dls.last()
			wantContentType := "application/json"
			if tt.mode == contract.Structured {
				wantContentType = "application/cloudevents+json"
			}
			if got := header.Get("Content-Type"); got != wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, wantContentType)
			}
			e := dls.event(t)
			if e.ID() != tk.ID || string(e.Data()) != `{"Id":"hello-cron","JobId":"3"}` {
				t.Errorf("event %s; want the tick's", e)
			}
			ext := e.Extensions()
			if ext["team"] != "platform" || ext[SequenceExtension] != "0000000000000000003" {
				t.Errorf("extensions %v; want the overrides and the sequence", ext)
			}
			for name, want := range tt.wantExt {
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

func TestDeadLetterWithoutASinkIsRejected(t *testing.T) {
	_, err := deadLetter(t, New(http.DefaultClient, "http://127.0.0.1:1", nil),
		contract.DeadLetterRequest{Tick: tick(), Rejection: contract.Rejection{Sink: "http://sink.test/in", StatusCode: 400}})
	if r, ok := contract.RejectionOf(err); !ok || r.Reason != "no dead-letter sink" {
		t.Fatalf("err = %v, want a rejection for the missing dead-letter sink", err)
	}
}

func deadLetter(t *testing.T, a *Activities, req contract.DeadLetterRequest) (contract.Receipt, error) {
	t.Helper()
	return execute(t, a, a.DeadLetter, req)
}

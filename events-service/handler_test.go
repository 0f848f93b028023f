package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestHandler(t *testing.T) {
	binaryHeaders := map[string]string{
		"ce-specversion": "1.0",
		"ce-id":          "tick-42",
		"ce-source":      "/cronsources/hello",
		"ce-type":        "dev.hello-cron.tick",
		"ce-sequence":    "42",
		"Content-Type":   "application/json",
	}
	without := func(h map[string]string, key string) map[string]string {
		out := make(map[string]string, len(h))
		for k, v := range h {
			if k != key {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name       string
		method     string
		path       string
		headers    map[string]string
		body       io.Reader
		chunked    bool // hide the length so only the MaxBytesReader can catch an oversized body
		wantStatus int
		wantBody   string            // exact body, or a prefix when wantPrefix
		wantPrefix bool              // wantBody is a prefix of a one-line body
		wantEvent  map[string]string // fields of the one "event received" line, nil for no line
	}{
		{name: "hello", method: http.MethodGet, path: "/", wantStatus: http.StatusOK, wantBody: "Hello World!"},
		{
			name: "binary mode", method: http.MethodPost, path: "/", headers: binaryHeaders,
			body:       strings.NewReader(`{"message":"Hello world!"}`),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{
				"id": "tick-42", "type": "dev.hello-cron.tick", "source": "/cronsources/hello",
				"sequence": "42", "data": `{"message":"Hello world!"}`,
			},
		},
		{
			name: "binary mode without data or sequence", method: http.MethodPost, path: "/",
			headers:    without(without(binaryHeaders, "ce-sequence"), "Content-Type"),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{
				"id": "tick-42", "type": "dev.hello-cron.tick", "source": "/cronsources/hello",
				"sequence": "", "data": "",
			},
		},
		{
			name: "structured mode", method: http.MethodPost, path: "/",
			headers: map[string]string{"Content-Type": "application/cloudevents+json"},
			body: strings.NewReader(`{"specversion":"1.0","id":"tick-7","source":"/cronsources/hello",` +
				`"type":"dev.hello-cron.tick","sequence":7,"datacontenttype":"application/json","data":{"n":7}}`),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{
				"id": "tick-7", "type": "dev.hello-cron.tick", "source": "/cronsources/hello",
				"sequence": "7", "data": `{"n":7}`,
			},
		},
		{
			name: "plain JSON is not a CloudEvent", method: http.MethodPost, path: "/",
			headers:    map[string]string{"Content-Type": "application/json"},
			body:       strings.NewReader(`{"message":"Hello world!"}`),
			wantStatus: http.StatusBadRequest, wantBody: "not a CloudEvent: ", wantPrefix: true,
		},
		{
			name: "missing id", method: http.MethodPost, path: "/", headers: without(binaryHeaders, "ce-id"),
			body:       strings.NewReader(`{}`),
			wantStatus: http.StatusBadRequest, wantBody: "invalid CloudEvent: id: ", wantPrefix: true,
		},
		{
			name: "malformed structured event", method: http.MethodPost, path: "/",
			headers:    map[string]string{"Content-Type": "application/cloudevents+json"},
			body:       strings.NewReader(`{"specversion":`),
			wantStatus: http.StatusBadRequest, wantBody: "not a CloudEvent: ", wantPrefix: true,
		},
		{
			name: "body over 1 MiB", method: http.MethodPost, path: "/", headers: binaryHeaders,
			body:       strings.NewReader(strings.Repeat("x", maxBodyBytes+1)),
			wantStatus: http.StatusRequestEntityTooLarge, wantBody: "request body too large", wantPrefix: true,
		},
		{
			name: "chunked body over 1 MiB", method: http.MethodPost, path: "/", headers: binaryHeaders,
			body: strings.NewReader(strings.Repeat("x", maxBodyBytes+1)), chunked: true,
			wantStatus: http.StatusRequestEntityTooLarge, wantBody: "request body too large", wantPrefix: true,
		},
		{
			name: "body of exactly 1 MiB", method: http.MethodPost, path: "/",
			headers:    without(binaryHeaders, "Content-Type"),
			body:       strings.NewReader(strings.Repeat("x", maxBodyBytes)),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{
				"id": "tick-42", "type": "dev.hello-cron.tick", "source": "/cronsources/hello",
				"sequence": "42", "data": strings.Repeat("x", maxBodyBytes),
			},
		},
		{name: "PUT /", method: http.MethodPut, path: "/", wantStatus: http.StatusMethodNotAllowed},
		{name: "GET /other", method: http.MethodGet, path: "/other", wantStatus: http.StatusNotFound},
		{name: "POST /other", method: http.MethodPost, path: "/other", headers: binaryHeaders, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			h := newHandler(zap.New(core))
			req := httptest.NewRequest(tt.method, tt.path, tt.body)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			checkBody(t, rec.Body.String(), tt.wantBody, tt.wantPrefix)

			got := logs.FilterMessage("event received").All()
			if tt.wantEvent == nil {
				if len(got) != 0 {
					t.Fatalf("logged %d events, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("logged %d events, want 1", len(got))
			}
			fields := got[0].ContextMap()
			for k, want := range tt.wantEvent {
				if fields[k] != want {
					t.Errorf("log field %s = %q, want %q", k, fields[k], want)
				}
			}
		})
	}
}

func checkBody(t *testing.T, body, want string, prefix bool) {
	t.Helper()
	switch {
	case want == "":
	case !prefix:
		if body != want {
			t.Errorf("body = %q, want %q", body, want)
		}
	default:
		line := strings.TrimSuffix(body, "\n")
		if !strings.HasPrefix(line, want) || strings.Contains(line, "\n") || len(line) == len(want) {
			t.Errorf("body = %q, want one line starting %q with a reason", body, want)
		}
	}
}

// FuzzHandler checks that no request to POST / crashes the handler or gets a 5xx.
func FuzzHandler(f *testing.F) {
	f.Add("application/json", "1.0", "id", `{"a":1}`)
	f.Add("application/cloudevents+json", "", "", `{"specversion":"1.0","id":"x","source":"s","type":"t","data_base64":"aGk="}`)
	f.Add("application/cloudevents-batch+json", "", "", `[{"specversion":"1.0"}]`)
	f.Add("application/cloudevents+json", "", "", `{"specversion":"0.3","id":"x","source":"%zz","type":"t","time":"soon"}`)
	f.Add("text/plain", "0.3", "", "")
	h := newHandler(zap.NewNop())
	f.Fuzz(func(t *testing.T, contentType, specversion, id, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("ce-specversion", specversion)
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "/s")
		req.Header.Set("ce-type", "t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status = %d, body %q", rec.Code, rec.Body.String())
		}
	})
}

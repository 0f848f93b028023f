package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
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
	with := func(h map[string]string, key, value string) map[string]string {
		out := without(h, key)
		out[key] = value
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
		{name: "alive", method: http.MethodGet, path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok\n"},
		{name: "ready", method: http.MethodGet, path: "/readyz", wantStatus: http.StatusOK, wantBody: "ready\n"},
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
		{
			name: "binary mode, JSON type, data not JSON", method: http.MethodPost, path: "/", headers: binaryHeaders,
			body:       strings.NewReader(`hello`),
			wantStatus: http.StatusBadRequest, wantBody: "invalid CloudEvent data: datacontenttype application/json but data is not JSON: ", wantPrefix: true,
		},
		{
			name: "binary mode, +json type, truncated JSON", method: http.MethodPost, path: "/",
			headers:    with(binaryHeaders, "Content-Type", "application/vnd.hello+json; charset=utf-8"),
			body:       strings.NewReader(`{"n":`),
			wantStatus: http.StatusBadRequest, wantBody: "invalid CloudEvent data: datacontenttype application/vnd.hello+json; charset=utf-8 but data is not JSON: ", wantPrefix: true,
		},
		{
			name: "binary mode, JSON type in capitals, data not JSON", method: http.MethodPost, path: "/",
			headers:    with(binaryHeaders, "Content-Type", "Application/JSON"),
			body:       strings.NewReader("{\n\"n\": 1,\n}"),
			wantStatus: http.StatusBadRequest, wantBody: "invalid CloudEvent data: ", wantPrefix: true,
		},
		{
			name: "binary mode, JSON type, no data", method: http.MethodPost, path: "/", headers: binaryHeaders,
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{"id": "tick-42", "data": ""},
		},
		{
			name: "binary mode, text type, data not JSON", method: http.MethodPost, path: "/",
			headers:    with(binaryHeaders, "Content-Type", "text/plain"),
			body:       strings.NewReader(`hello`),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{"id": "tick-42", "data": "hello"},
		},
		{
			name: "structured mode, JSON type, data_base64 not JSON", method: http.MethodPost, path: "/",
			headers: map[string]string{"Content-Type": "application/cloudevents+json"},
			body: strings.NewReader(`{"specversion":"1.0","id":"tick-7","source":"/cronsources/hello",` +
				`"type":"dev.hello-cron.tick","datacontenttype":"application/json","data_base64":"aGVsbG8="}`),
			wantStatus: http.StatusBadRequest, wantBody: "invalid CloudEvent data: datacontenttype application/json but data is not JSON: ", wantPrefix: true,
		},
		{
			name: "structured mode, JSON type, data_base64 JSON", method: http.MethodPost, path: "/",
			headers: map[string]string{"Content-Type": "application/cloudevents+json"},
			body: strings.NewReader(`{"specversion":"1.0","id":"tick-7","source":"/cronsources/hello",` +
				`"type":"dev.hello-cron.tick","datacontenttype":"application/json","data_base64":"eyJuIjo3fQ=="}`),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{"id": "tick-7", "data": `{"n":7}`},
		},
		{
			name: "structured mode, text type, data_base64", method: http.MethodPost, path: "/",
			headers: map[string]string{"Content-Type": "application/cloudevents+json"},
			body: strings.NewReader(`{"specversion":"1.0","id":"tick-7","source":"/cronsources/hello",` +
				`"type":"dev.hello-cron.tick","datacontenttype":"text/plain","data_base64":"aGVsbG8="}`),
			wantStatus: http.StatusOK, wantBody: "Processed",
			wantEvent: map[string]string{"id": "tick-7", "data": "hello"},
		},
		{name: "PUT /", method: http.MethodPut, path: "/", wantStatus: http.StatusMethodNotAllowed},
		{name: "GET /other", method: http.MethodGet, path: "/other", wantStatus: http.StatusNotFound},
		{name: "POST /other", method: http.MethodPost, path: "/other", headers: binaryHeaders, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			h := newHandler(zap.New(core), newSeenEvents(16), testLimiter())
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

func TestHandlerDedupe(t *testing.T) {
	// post is one delivery: binary mode when ce is set, else a structured-mode body.
	type post struct {
		ce         map[string]string // ce-* headers without the prefix
		structured string
		wantStatus int
		wantBody   string
	}
	binary := func(source, id string, status int, body string) post {
		return post{
			ce:         map[string]string{"specversion": "1.0", "id": id, "source": source, "type": "t", "sequence": "5"},
			wantStatus: status, wantBody: body,
		}
	}
	structured := func(source, id string, status int, body string) post {
		return post{
			structured: `{"specversion":"1.0","id":"` + id + `","source":"` + source + `","type":"t","sequence":5}`,
			wantStatus: status, wantBody: body,
		}
	}
	invalid := post{ // no type: a 400, which must not mark the id as seen
		ce:         map[string]string{"specversion": "1.0", "id": "e1", "source": "/s"},
		wantStatus: http.StatusBadRequest, wantBody: "invalid CloudEvent: type: ",
	}
	const ok, processed, duplicate = http.StatusOK, "Processed", "Duplicate"
	tests := []struct {
		name          string
		size          int
		posts         []post
		wantReceived  int               // "event received" lines
		wantDuplicate map[string]string // fields of every "duplicate event ignored" line
		wantDups      int               // how many such lines
	}{
		{
			name: "binary redelivery", size: 16,
			posts:        []post{binary("/s", "e1", ok, processed), binary("/s", "e1", ok, duplicate), binary("/s", "e1", ok, duplicate)},
			wantReceived: 1, wantDups: 2,
			wantDuplicate: map[string]string{"id": "e1", "source": "/s", "sequence": "5"},
		},
		{
			name: "structured redelivery", size: 16,
			posts:        []post{structured("/s", "e1", ok, processed), structured("/s", "e1", ok, duplicate)},
			wantReceived: 1, wantDups: 1,
			wantDuplicate: map[string]string{"id": "e1", "source": "/s", "sequence": "5"},
		},
		{
			name: "redelivery in the other mode", size: 16,
			posts:        []post{binary("/s", "e1", ok, processed), structured("/s", "e1", ok, duplicate)},
			wantReceived: 1, wantDups: 1,
		},
		{
			name: "same id, other source", size: 16,
			posts:        []post{binary("/s1", "e1", ok, processed), binary("/s2", "e1", ok, processed)},
			wantReceived: 2,
		},
		{
			name: "same source, other id", size: 16,
			posts:        []post{binary("/s", "e1", ok, processed), binary("/s", "e2", ok, processed)},
			wantReceived: 2,
		},
		{
			name: "a rejected event is not remembered", size: 16,
			posts:        []post{invalid, binary("/s", "e1", ok, processed), invalid},
			wantReceived: 1,
		},
		{
			name: "an evicted event is processed again", size: 1,
			posts:        []post{binary("/s", "e1", ok, processed), binary("/s", "e2", ok, processed), binary("/s", "e1", ok, processed)},
			wantReceived: 3,
		},
		{
			name: "size 0 turns de-duplication off", size: 0,
			posts:        []post{binary("/s", "e1", ok, processed), binary("/s", "e1", ok, processed)},
			wantReceived: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			h := newHandler(zap.New(core), newSeenEvents(tt.size), testLimiter())
			for i, p := range tt.posts {
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(p.structured))
				if p.ce != nil {
					for k, v := range p.ce {
						req.Header.Set("ce-"+k, v)
					}
				} else {
					req.Header.Set("Content-Type", "application/cloudevents+json")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != p.wantStatus {
					t.Fatalf("post %d: status = %d, want %d (body %q)", i, rec.Code, p.wantStatus, rec.Body.String())
				}
				checkBody(t, rec.Body.String(), p.wantBody, p.wantStatus != http.StatusOK)
				if ct := rec.Header().Get("Content-Type"); p.wantStatus == http.StatusOK && ct != "text/plain; charset=utf-8" {
					t.Errorf("post %d: Content-Type = %q, want text/plain", i, ct)
				}
			}

			if n := logs.FilterMessage("event received").Len(); n != tt.wantReceived {
				t.Errorf("logged %d events received, want %d", n, tt.wantReceived)
			}
			dups := logs.FilterMessage("duplicate event ignored").All()
			if len(dups) != tt.wantDups {
				t.Fatalf("logged %d duplicates, want %d", len(dups), tt.wantDups)
			}
			for _, d := range dups {
				fields := d.ContextMap()
				for k, want := range tt.wantDuplicate {
					if fields[k] != want {
						t.Errorf("duplicate log field %s = %q, want %q", k, fields[k], want)
					}
				}
			}
		})
	}
}

func TestHandlerConcurrentRedeliveries(t *testing.T) {
	const deliveries = 32
	core, logs := observer.New(zapcore.InfoLevel)
	h := newHandler(zap.New(core), newSeenEvents(16), testLimiter())
	start := make(chan struct{})
	bodies := make([]string, deliveries)
	var wg sync.WaitGroup
	for i := range deliveries {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"n":1}`))
			for k, v := range map[string]string{
				"ce-specversion": "1.0", "ce-id": "tick-1", "ce-source": "/s", "ce-type": "t",
				"Content-Type": "application/json",
			} {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			<-start
			h.ServeHTTP(rec, req)
			bodies[i] = strconv.Itoa(rec.Code) + " " + rec.Body.String()
		})
	}
	close(start)
	wg.Wait()

	counts := map[string]int{}
	for _, b := range bodies {
		counts[b]++
	}
	if counts["200 Processed"] != 1 || counts["200 Duplicate"] != deliveries-1 {
		t.Errorf("answers = %v, want one 200 Processed and %d 200 Duplicate", counts, deliveries-1)
	}
	if n := logs.FilterMessage("event received").Len(); n != 1 {
		t.Errorf("logged %d events received, want 1", n)
	}
	if n := logs.FilterMessage("duplicate event ignored").Len(); n != deliveries-1 {
		t.Errorf("logged %d duplicates, want %d", n, deliveries-1)
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
	h := newHandler(zap.NewNop(), newSeenEvents(16), testLimiter())
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

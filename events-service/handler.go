package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/internal/health"
	"github.com/hello-cron/cronsource/internal/metrics"
)

// maxBodyBytes is the largest request body the sink reads: 1 MiB.
const maxBodyBytes = 1 << 20

// handler serves the sink's routes. It holds its logger, the events it has recently seen, the
// limiter of POST / and its counters.
type handler struct {
	log   *zap.Logger
	seen  *seenEvents
	limit *limiter
	// received counts valid CloudEvents, duplicates included; duplicates counts those
	// answered Duplicate; refused counts the POSTs answered 503 by the limiter.
	received, duplicates, refused prometheus.Counter
}

// The events-service's own metrics, as /metrics shows them.
const (
	metricReceived   = "events_service_events_received_total"
	metricDuplicates = "events_service_events_duplicate_total"
	metricRefused    = "events_service_requests_refused_total"
)

// newHandler routes GET / to the greeting, GET /healthz and /readyz to the probes, GET /metrics
// to its metrics, and POST / to the CloudEvent receiver, which answers redeliveries of the
// events in seen with Duplicate and refuses with 503 what limit does not admit. Only POST / is
// limited. The mux answers other methods on / with 405 and other paths with 404.
func newHandler(log *zap.Logger, seen *seenEvents, limit *limiter) http.Handler {
	h := &handler{log: log, seen: seen, limit: limit,
		received: prometheus.NewCounter(prometheus.CounterOpts{Name: metricReceived,
			Help: "Valid CloudEvents received, duplicates included."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: metricDuplicates,
			Help: "CloudEvents received again (same source and id) and answered Duplicate."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: metricRefused,
			Help: "POSTs refused with 503 and Retry-After because --max-in-flight or --max-buffered-bytes was reached."}),
	}
	reg := metrics.NewRegistry()
	reg.MustRegister(h.received, h.duplicates, h.refused)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.hello)
	mux.HandleFunc("POST /{$}", h.receive)
	// Serving requests is all it takes to be ready: it holds no connection to anything.
	health.Register(mux, func(context.Context) error { return nil })
	metrics.Register(mux, reg)
	return mux
}

func (h *handler) hello(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "Hello World!")
}

// receive decodes one CloudEvent in binary or structured mode, logs it and answers Processed.
// A valid event whose source and id were recently seen is not processed again: it is logged
// as a duplicate and answered Duplicate, also 200, so the sender stops redelivering it.
// Before reading the body it reserves its bytes (the Content-Length, else the 1 MiB maximum)
// and a slot from the limiter, and answers 503 with Retry-After if either is used up.
func (h *handler) receive(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > maxBodyBytes {
		http.Error(w, "request body too large: limit is 1 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	reserve := int64(maxBodyBytes)
	if r.ContentLength >= 0 {
		reserve = r.ContentLength
	}
	if err := h.limit.tryAcquire(reserve); err != nil {
		h.refused.Inc()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy: "+err.Error()+"; retry later", http.StatusServiceUnavailable)
		return
	}
	defer h.limit.release(reserve)

	body, err := readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large: limit is 1 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body: "+oneLine(err), http.StatusBadRequest)
		return
	}

	ev, problem := decodeEvent(r, body)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}

	h.received.Inc()
	if h.seen.seenOrAdd(eventKey{source: ev.Source(), id: ev.ID()}) {
		h.duplicates.Inc()
		h.log.Info("duplicate event ignored",
			zap.String("id", ev.ID()),
			zap.String("source", ev.Source()),
			zap.String("sequence", extensionString(ev, "sequence")),
		)
		writeText(w, http.StatusOK, "Duplicate")
		return
	}
	h.log.Info("event received",
		zap.String("id", ev.ID()),
		zap.String("type", ev.Type()),
		zap.String("source", ev.Source()),
		zap.String("sequence", extensionString(ev, "sequence")),
		zap.ByteString("data", ev.Data()), // no copy of up to 1 MiB
	)
	writeText(w, http.StatusOK, "Processed")
}

// decodeEvent reads the CloudEvent of r, whose body is body, in binary or structured mode. It
// returns why it is not a valid one, as the 400 answer says it, or "".
func decodeEvent(r *http.Request, body []byte) (*event.Event, string) {
	msg := cehttp.NewMessage(r.Header, io.NopCloser(bytes.NewReader(body)))
	ev, err := binding.ToEvent(r.Context(), msg)
	if err == nil && ev == nil {
		err = errors.New("empty message")
	}
	if err != nil {
		return nil, "not a CloudEvent: " + oneLine(err)
	}
	if err := ev.Validate(); err != nil {
		return nil, "invalid CloudEvent: " + oneLine(err)
	}
	if err := checkJSONData(ev); err != nil {
		return nil, "invalid CloudEvent data: " + oneLine(err)
	}
	return ev, ""
}

// readBody reads r's body, at most maxBodyBytes. A body of known length is read into a buffer
// of exactly that size, so the memory matches the bytes the limiter reserved for it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if r.ContentLength < 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// checkJSONData returns an error if ev's datacontenttype is JSON (application/json or a +json
// type) and its data is not valid JSON. The SDK checks neither a binary-mode body nor a
// structured event's data_base64 against it. An event without data passes.
func checkJSONData(ev *event.Event) error {
	ct := ev.DataContentType()
	if len(ev.Data()) == 0 || !isJSONMediaType(ct) || json.Valid(ev.Data()) {
		return nil
	}
	// Unmarshal checks the syntax before decoding anything, so this only finds the reason.
	err := json.Unmarshal(ev.Data(), new(json.RawMessage))
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Errorf("datacontenttype %s but data is not JSON: %v (at byte %d)", ct, err, syntax.Offset)
	}
	if err != nil {
		return fmt.Errorf("datacontenttype %s but data is not JSON: %v", ct, err)
	}
	return nil
}

// isJSONMediaType reports whether the media type ct is application/json or ends in +json.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// extensionString returns the extension called name in its canonical string form, or "" if
// the event does not carry it.
func extensionString(ev *event.Event, name string) string {
	v, ok := ev.Extensions()[name]
	if !ok {
		return ""
	}
	s, err := types.Format(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// oneLine renders err on a single line, so a 400 body carries exactly one reason line.
// A ValidationError lists its attributes in a stable order.
func oneLine(err error) string {
	var verr event.ValidationError
	if errors.As(err, &verr) {
		parts := make([]string, 0, len(verr))
		for attr, e := range verr {
			parts = append(parts, attr+": "+e.Error())
		}
		sort.Strings(parts)
		return oneLineString(strings.Join(parts, "; "))
	}
	return oneLineString(err.Error())
}

func oneLineString(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Package tracingtest is an in-process OTLP trace collector for tests: it accepts OTLP/HTTP
// protobuf exports on POST /v1/traces and OTLP/gRPC exports, and keeps every span it gets.
package tracingtest

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Span is a received span, flattened.
type Span struct {
	TraceID, SpanID, Name string // the ids in lowercase hex, as in a traceparent
	Attributes            map[string]string
	Resource              map[string]string // the attributes of the span's resource
}

// Collector keeps the spans exported to it.
type Collector struct {
	mu    sync.Mutex
	spans []Span
}

// HTTPServer serves OTLP/HTTP protobuf on POST /v1/traces, gzip-compressed or not. Its URL is
// what OTEL_EXPORTER_OTLP_ENDPOINT should be. The caller closes it.
func (c *Collector) HTTPServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.add(&req)
		out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})
	return httptest.NewServer(mux)
}

// GRPCServer serves OTLP/gRPC on a loopback port and returns its address as an http:// URL
// (insecure), and a function that stops it.
func (c *Collector) GRPCServer() (endpoint string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	srv := grpc.NewServer()
	collectorpb.RegisterTraceServiceServer(srv, grpcService{c: c})
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv.Stop, nil
}

type grpcService struct {
	collectorpb.UnimplementedTraceServiceServer
	c *Collector
}

func (s grpcService) Export(_ context.Context, req *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	s.c.add(req)
	return &collectorpb.ExportTraceServiceResponse{}, nil
}

func (c *Collector) add(req *collectorpb.ExportTraceServiceRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		resource := attributes(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, Span{
					TraceID:    hex.EncodeToString(s.GetTraceId()),
					SpanID:     hex.EncodeToString(s.GetSpanId()),
					Name:       s.GetName(),
					Attributes: attributes(s.GetAttributes()),
					Resource:   resource,
				})
			}
		}
	}
}

// Spans returns the spans received so far.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Span(nil), c.spans...)
}

// attributes renders OTLP attributes as strings: ints in decimal, strings as they are.
func attributes(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetIntValue())
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetBoolValue())
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetDoubleValue())
		default:
			m[kv.GetKey()] = v.GetStringValue()
		}
	}
	return m
}

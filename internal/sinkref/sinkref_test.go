package sinkref

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{in: "http://events-service:8080"},
		{in: "https://broker-ingress.knative-eventing.svc.cluster.local/ns/default"},
		{in: "ftp://x", wantErr: "http or https"},
		{in: "events-service:8080", wantErr: "http or https"},
		{in: "http://", wantErr: "must have a host"},
		{in: "http://a b", wantErr: "not a URL"},
		{in: "", wantErr: "http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseURL(tt.in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://events:8080/in", "http://events:8080/in"},
		{"https://user:s3cret@sink.example.com/x", "https://user:xxxxx@sink.example.com/x"},
		{"https://token@sink.example.com", "https://xxxxx@sink.example.com"},
		{"not a url %%", "not a url %%"},
		{"http://u:pw@[bad", "http://xxxxx@[bad"},
		{"http://tok3n@host:port:x/%zz", "http://xxxxx@host:port:x/%zz"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWithoutUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://events:8080/in", "http://events:8080/in"},
		{"https://user:s3cret@sink.example.com/x?a=1", "https://sink.example.com/x?a=1"},
		{"https://token@sink.example.com", "https://sink.example.com"},
		{"not a url %%", "not a url %%"},
	}
	for _, tt := range tests {
		if got := WithoutUserinfo(tt.in); got != tt.want {
			t.Errorf("WithoutUserinfo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package sinkref

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseOrigins(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: ""},
		{in: "https://Broker.example.com, http://localhost:8080/", want: "https://broker.example.com:443,http://localhost:8080"},
		{in: "http://[::1]", want: "http://[::1]:80"},
		{in: "ftp://a", wantErr: `entry "ftp://a": must be an http or https URL`},
		{in: "https://a/in", wantErr: "must be an origin only"},
		{in: "https://u:s3cret@a", wantErr: `entry "https://u:xxxxx@a": must be an origin only`},
		{in: "https://t0k3n@a", wantErr: `entry "https://xxxxx@a": must be an origin only`},
		{in: "https://a?x=1", wantErr: "must be an origin only"},
		{in: "broker", wantErr: "must be an http or https URL"},
	}
	for _, tt := range tests {
		got, err := ParseOrigins(tt.in)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseOrigins(%q) err = %v, want %q", tt.in, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got.String() != tt.want):
			t.Errorf("ParseOrigins(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"http://sink:8080/a", "http://sink:8080/b?x=1", true},
		{"https://sink.example.com/", "https://sink.example.com:443/in", true},
		{"http://sink.example.com/", "http://SINK.example.com:80/", true},
		{"http://cron:pw@sink/", "http://sink/", true},
		{"http://sink:8080/", "http://sink:8081/", false},
		{"http://sink:8080/", "https://sink:8080/", false},
		{"http://sink/", "http://sink.other/", false},
		{"http://example.com/", "http://sub.example.com/", false},
		{"http://[::1]:80/", "http://[::1]/", true},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := SameOrigin(a, b); got != tt.want {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"http://localhost:8080", true},
		{"http://LOCALHOST", true},
		{"http://events.localhost", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.1.2.3", true},
		{"http://[::1]:8080", true},
		{"http://localhost.example.com", false},
		{"http://10.0.0.1", false},
		{"https://broker.example.com", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := IsLoopback(u); got != tt.want {
			t.Errorf("IsLoopback(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

package contract

import (
	"strings"
	"testing"
)

func TestCheckData(t *testing.T) {
	tests := []struct {
		name        string
		data        []byte
		contentType string
		wantErr     string // "" for valid, else a substring of the error
	}{
		{name: "nil is the default payload", data: nil, contentType: "", wantErr: ""},
		{name: "JSON object by default", data: []byte(`{"a":1}`), wantErr: ""},
		{name: "JSON string", data: []byte(`"x"`), contentType: "application/json", wantErr: ""},
		{name: "JSON with parameters", data: []byte(`[1]`), contentType: "Application/JSON; charset=utf-8", wantErr: ""},
		{name: "+json type", data: []byte(`{}`), contentType: "application/cloudevents+json", wantErr: ""},
		{name: "invalid JSON by default", data: []byte(`{"a":`), wantErr: "not valid JSON"},
		{name: "empty JSON", data: []byte{}, contentType: "application/json", wantErr: "not valid JSON"},
		{name: "invalid +json", data: []byte(`nope`), contentType: "application/vnd.x+json", wantErr: "not valid JSON"},
		{name: "text is not parsed", data: []byte(`{"a":`), contentType: "text/plain", wantErr: ""},
		{name: "empty text", data: []byte{}, contentType: "text/plain", wantErr: ""},
		{name: "binary", data: []byte{0, 0xff}, contentType: "application/octet-stream", wantErr: ""},
		{name: "exactly the limit", data: []byte(strings.Repeat("x", MaxDataBytes)), contentType: "text/plain", wantErr: ""},
		{name: "over the limit", data: []byte(strings.Repeat("x", MaxDataBytes+1)), contentType: "text/plain",
			wantErr: "65537 bytes, more than 65536"},
		{name: "content type without subtype", data: []byte("x"), contentType: "text/", wantErr: "content type"},
		{name: "content type with a bad parameter", data: []byte("x"), contentType: "text/plain; =x", wantErr: "content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckData(tt.data, tt.contentType)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckData = %v, want valid", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckData = %v, want an error with %q", err, tt.wantErr)
			case err != nil && err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:]:
				t.Errorf("CheckData = %q, want a lowercase reason", err)
			}
		})
	}
}

package contract

import (
	"testing"
	"time"
)

func TestHeartbeatInterval(t *testing.T) {
	tests := []struct{ timeout, want time.Duration }{
		{3 * time.Second, time.Second},
		{300 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := HeartbeatInterval(tt.timeout); got != tt.want {
			t.Errorf("HeartbeatInterval(%v) = %v, want %v", tt.timeout, got, tt.want)
		}
	}
}

func TestContentModeValidate(t *testing.T) {
	tests := []struct {
		mode ContentMode
		ok   bool
	}{
		{"", true}, {Binary, true}, {Structured, true}, {"Binary", false}, {"batched", false},
	}
	for _, tt := range tests {
		if err := tt.mode.Validate(); (err == nil) != tt.ok {
			t.Errorf("ContentMode(%q).Validate() = %v, want accepted %v", tt.mode, err, tt.ok)
		}
	}
}

package sinkref

import (
	"strings"
	"testing"
)

func TestCheckCredentialName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"broker-auth", true}, {"a", true}, {"prod.broker-1", true},
		{"", false}, {".", false}, {"..", false}, {"../etc", false}, {"a/b", false}, {"Broker", false},
		{"-a", false}, {"a-", false}, {"a..b", false}, {strings.Repeat("a", 254), false},
	}
	for _, tt := range tests {
		if err := CheckCredentialName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckCredentialName(%q) = %v, want accepted %v", tt.name, err, tt.ok)
		}
	}
}

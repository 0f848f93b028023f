package main

import (
	"strings"
	"testing"
)

func TestWebUIPort(t *testing.T) {
	tests := []struct {
		name     string
		port     int
		uiPort   int
		set      bool
		headless bool
		want     int
		wantErr  string // empty: no error; otherwise a part of it
	}{
		{name: "default is --port + 1000", port: 7233, want: 8233},
		{name: "default follows --port", port: 17233, want: 18233},
		{name: "default above 65535", port: 65000, wantErr: "invalid --ui-port: the default, --port 65000 + 1000, is above 65535"},
		{name: "explicit", port: 7233, uiPort: 9000, set: true, want: 9000},
		{name: "explicit zero", port: 7233, uiPort: 0, set: true, wantErr: "invalid --ui-port 0: must be 1 to 65535"},
		{name: "explicit above 65535", port: 7233, uiPort: 70000, set: true, wantErr: "invalid --ui-port 70000: must be 1 to 65535"},
		{name: "same as --port", port: 7233, uiPort: 7233, set: true, wantErr: "invalid --ui-port 7233: must differ from --port"},
		{name: "headless needs none", port: 65000, headless: true, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webUIPort(tt.port, tt.uiPort, tt.set, tt.headless)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("webUIPort: %v, want %d", err, tt.want)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("webUIPort = %d, %v; want error %q", got, err, tt.wantErr)
			case got != tt.want:
				t.Errorf("webUIPort = %d, want %d", got, tt.want)
			}
		})
	}
}

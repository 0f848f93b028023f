package isoduration

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "PT1S", want: time.Second},
		{in: "PT0.5S", want: 500 * time.Millisecond},
		{in: "PT0,25S", want: 250 * time.Millisecond},
		{in: "PT2M", want: 2 * time.Minute},
		{in: "PT1H30M", want: 90 * time.Minute},
		{in: "P1D", want: 24 * time.Hour},
		{in: "P1DT12H", want: 36 * time.Hour},
		{in: "P2W", want: 14 * 24 * time.Hour},
		{in: "PT0S", want: 0},
		{in: "PT0.001S", want: time.Millisecond},
		{in: "", wantErr: "ISO-8601"},
		{in: "P", wantErr: "ISO-8601"},
		{in: "PT", wantErr: "ISO-8601"},
		{in: "P1DT", wantErr: "ISO-8601"},
		{in: "1s", wantErr: "ISO-8601"},
		{in: "pt1s", wantErr: "ISO-8601"},
		{in: "P1Y", wantErr: "years and months"},
		{in: "P1M", wantErr: "years and months"},
		{in: "PT1D", wantErr: "unit"},
		{in: "PT1S1M", wantErr: "unit"},
		{in: "PT1M1M", wantErr: "unit"},
		{in: "PTS", wantErr: "not a number"},
		{in: "PT1.2.3S", wantErr: "not a number"},
		{in: "PT-1S", wantErr: "not a number"},
		{in: "PT1", wantErr: "not a number and a unit"},
		{in: "P99999999999W", wantErr: "too long"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Parse(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

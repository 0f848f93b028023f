package ceext

import (
	"errors"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"team", nil}, {"region2", nil}, {"knativeerrordest", nil},
		{"", ErrBadName}, {"Team", ErrBadName}, {"my-ext", ErrBadName}, {"my_ext", ErrBadName}, {"é", ErrBadName},
		{"id", ErrReserved}, {"source", ErrReserved}, {"type", ErrReserved}, {"time", ErrReserved},
		{"subject", ErrReserved}, {"sequence", ErrReserved}, {"specversion", ErrReserved},
		{"datacontenttype", ErrReserved}, {"dataschema", ErrReserved}, {"data", ErrReserved},
	}
	for _, tt := range tests {
		if err := CheckName(tt.name); !errors.Is(err, tt.want) {
			t.Errorf("CheckName(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

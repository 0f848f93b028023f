package searchattr

import (
	"slices"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
)

func TestMissing(t *testing.T) {
	tests := []struct {
		name       string
		registered map[string]enumspb.IndexedValueType
		want       []string
	}{
		{name: "none registered", registered: nil, want: []string{Paused, Schedule, Sink}},
		{name: "all registered", registered: Types(), want: nil},
		{name: "one missing, others there", registered: map[string]enumspb.IndexedValueType{
			Sink: enumspb.INDEXED_VALUE_TYPE_KEYWORD, Paused: enumspb.INDEXED_VALUE_TYPE_BOOL,
			"Other": enumspb.INDEXED_VALUE_TYPE_INT,
		}, want: []string{Schedule}},
		{name: "wrong type", registered: map[string]enumspb.IndexedValueType{
			Sink: enumspb.INDEXED_VALUE_TYPE_TEXT, Schedule: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			Paused: enumspb.INDEXED_VALUE_TYPE_BOOL,
		}, want: []string{Sink}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Missing(tt.registered); !slices.Equal(got, tt.want) {
				t.Errorf("Missing = %v, want %v", got, tt.want)
			}
		})
	}
}

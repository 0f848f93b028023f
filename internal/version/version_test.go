package version

import (
	"runtime/debug"
	"testing"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"no vcs", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"tagged", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"revision, time, modified", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.time", Value: "2026-11-26T03:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}}, "devel 1a2b3c4d5e6f (2026-11-26T03:00:00Z, modified)"},
		{"clean revision", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}}}, "devel abc"},
		{"pseudo-version names the revision", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261126032110-b960380e1c98+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "b960380e1c98aaaa"}, {Key: "vcs.modified", Value: "true"}}},
			"v0.0.0-20261126032110-b960380e1c98+dirty"},
		{"no version", debug.BuildInfo{}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(&tt.info); got != tt.want {
				t.Errorf("describe = %q, want %q", got, tt.want)
			}
		})
	}
}

// Package version says which build a binary is, from what the Go toolchain recorded at build
// time: the module version and the VCS revision, time and whether the tree was modified.
package version

import (
	"runtime/debug"
	"strings"
)

// String is the build's version: "v0.0.0-20261126032110-b960380e1c98+dirty" when the module
// version names the revision, else e.g. "devel 1a2b3c4d5e6f (2026-11-26T03:00:00Z, modified)".
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return describe(info)
}

func describe(info *debug.BuildInfo) string {
	v := strings.Trim(info.Main.Version, "()")
	if v == "" {
		v = "unknown"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	rev = rev[:min(12, len(rev))]
	if rev == "" || strings.Contains(v, rev) {
		return v // a pseudo-version already names the revision, its time and +dirty
	}
	var extra []string
	if t := settings["vcs.time"]; t != "" {
		extra = append(extra, t)
	}
	if settings["vcs.modified"] == "true" {
		extra = append(extra, "modified")
	}
	out := v + " " + rev
	if len(extra) > 0 {
		out += " (" + strings.Join(extra, ", ") + ")"
	}
	return out
}

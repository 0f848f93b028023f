package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Every command that takes --group, run in process on two sources of one group: start (which
// starts the group), a second start, describe, list, each control, and the errors of a source
// the group does not run.
func TestStarterControlsAGroupMember(t *testing.T) {
	env := startTemporalAndWorker(t)
	in := func(id string, args ...string) []string { return append(args, "--group", "fleet", "--workflow-id", id) }
	startA := in("a", "start", "--interval", "200ms", "--sink", env.sink.URL+"/a")
	dir := t.TempDir()
	file, dup := filepath.Join(dir, "fleet.yaml"), filepath.Join(dir, "dup.yaml")
	fleet := "- {workflow-id: a, group: fleet, interval: 300ms, sink: " + env.sink.URL + "/a}\n" +
		"- {workflow-id: c, group: fleet, interval: 1s}\n- {workflow-id: a, group: other, interval: 1s}\n"
	if err := os.WriteFile(file, []byte(fleet), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dup, []byte("- {workflow-id: x, group: g}\n- {workflow-id: x, group: g}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []step{
		{name: "start starts the group", args: startA, want: `^started source "a" in group "fleet" every 200ms\n$`},
		{name: "start again changes nothing", args: startA, want: `^source "a" is already running in group "fleet"; nothing changed\n$`},
		{name: "start another", args: in("b", "start", "--interval", "200ms", "--sink", env.sink.URL+"/b", "--paused", "--reason", "later"),
			want: `^started source "b" in group "fleet" every 200ms, paused: resume starts it\n$`},
		{name: "ticks arrive", check: waitForTicks(env.sink, "/a", 3)},
		{name: "describe --output json", args: in("a", "describe", "--output", "json"),
			check: describedAs(map[string]any{"workflowId": "a", "execution": "running", "statusFrom": "query",
				"interval": "200ms", "paused": false})},
		{name: "describe", args: in("b", "describe"),
			want: `^source: +b\nexecution: +running\nstatus from: +query\nstate: +paused \(later\)\nschedule: +every 200ms\n`},
		{name: "list", args: []string{"list", "--group", "fleet"},
			want: `^WORKFLOW ID +STATE +SCHEDULE +SEQUENCE +NEXT FIRE TIME +STATUS FROM\na +running +every 200ms +\d+ +\S+ +query\nb +paused \(later\) +every 200ms +0 +\S+ +query\n$`},
		{name: "list --output json", args: []string{"list", "--group", "fleet", "--output", "json"}, check: listedAs("a", "b")},
		{name: "resume", args: in("b", "resume"), want: `^resumed source "b"; next tick \S+\n$`},
		{name: "ticks arrive for the other", check: waitForTicks(env.sink, "/b", 2)},
		{name: "pause", args: in("a", "pause", "--reason", "sink maintenance"), want: `^paused source "a"\n$`},
		{name: "update", args: in("b", "update", "--interval", "300ms"), want: `^updated source "b": every 300ms, next tick \S+\n$`},
		{name: "trigger", args: in("b", "trigger"), want: `^triggered an extra tick of source "b" \(\d+ waiting to be sent\)\n$`},
		{name: "stop", args: in("b", "stop", "--now"), want: `^stopping source "b": `},
		{name: "describe a stopped source", args: in("b", "describe", "--output", "json"),
			check: describedAs(map[string]any{"workflowId": "b", "finished": true})},
		{name: "pause a stopped source", args: in("b", "pause"), wantErr: `pause source "b" in group "fleet": `},
		{name: "ticks came in order, once each", check: inOrder(env.sink, "/b")},
		{name: "pause a source the group does not run", args: in("nope", "pause"), wantErr: `pause source "nope" in group "fleet": `},
		{name: "describe a source the group does not run", args: in("nope", "describe"), wantErr: `describe source "nope" in group "fleet": `},
		{name: "describe in a group that does not exist", args: []string{"describe", "--group", "nogroup", "--workflow-id", "a"},
			wantErr: `describe source "nogroup": `},
		{name: "list a group with a filter", args: []string{"list", "--group", "fleet", "--paused"}, wantErr: `invalid --group "fleet": `},
		{name: "a blank group", args: []string{"pause", "--group", " ", "--workflow-id", "a"}, wantErr: `invalid --group " ": `},
		{name: "describe the group as a source", args: []string{"describe", "--workflow-id", "fleet"},
			wantErr: `describe source "fleet": it is a group of sources: give --group fleet and the source's --workflow-id`},
		{name: "pause the group as a source", args: []string{"pause", "--workflow-id", "fleet"},
			wantErr: `pause source "fleet": it is a group of sources: give --group fleet`},
		{name: "list says which groups run", args: []string{"list"}, want: `^WORKFLOW ID [^\n]*\n$`,
			wantStderr: `^list: groups of sources run too \(fleet\): list --group <id> lists a group's sources\n$`, eventually: true},
		{name: "apply a file of members", args: []string{"apply", "-f", file}, check: linesMatch(
			`^source "a" in group "fleet": updated interval 200ms -> 300ms$`,
			`^started source "c" in group "fleet" every 1s$`,
			`^started source "a" in group "other" every 1s$`,
			`^applied 3 sources in \S+ \(\d+/s\): 2 started, 1 updated, 0 signalled, 0 up to date, 0 failed$`)},
		{name: "apply the file again", args: []string{"apply", "-f", file}, check: linesMatch(
			`^source "a" in group "fleet" is up to date; nothing changed$`,
			`^source "c" in group "fleet" is up to date; nothing changed$`,
			`^source "a" in group "other" is up to date; nothing changed$`,
			`^applied 3 sources in \S+ \(\d+/s\): 0 started, 0 updated, 0 signalled, 3 up to date, 0 failed$`)},
		{name: "apply restarts a stopped member", args: in("b", "apply", "--interval", "1s", "--sink", env.sink.URL+"/b"),
			want: `^started source "b" in group "fleet" every 1s\n$`},
		{name: "the same id twice in a group", args: []string{"apply", "-f", dup},
			wantErr: `invalid ` + dup + `: source 2: workflow-id "x" in group "g" is source 1's too`},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { env.run(t, st) }) {
			return // the next steps need this one
		}
	}
}

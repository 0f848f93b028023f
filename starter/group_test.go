package main

import "testing"

// Every command that takes --group, run in process on two sources of one group: start (which
// starts the group), a second start, describe, list, each control, and the errors of a source
// the group does not run.
func TestStarterControlsAGroupMember(t *testing.T) {
	env := startTemporalAndWorker(t)
	in := func(id string, args ...string) []string { return append(args, "--group", "fleet", "--workflow-id", id) }
	startA := in("a", "start", "--interval", "200ms", "--sink", env.sink.URL+"/a")
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
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { env.run(t, st) }) {
			return // the next steps need this one
		}
	}
}

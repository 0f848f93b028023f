package main

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestParseNodes(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []string
		wantErr bool
	}{
		{name: "two nodes", out: "node1=127.0.0.1:6547\nnode2=127.0.0.1:6557\n", want: []string{"127.0.0.1:6547", "127.0.0.1:6557"}},
		{name: "out of order, other lines", out: "something\nnode2=127.0.0.1:2\n  node1=127.0.0.1:1  \n", want: []string{"127.0.0.1:1", "127.0.0.1:2"}},
		{name: "none", out: "cluster.sh: already running\n", wantErr: true},
		{name: "a gap", out: "node1=a:1\nnode3=a:3\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNodes([]byte(tt.out))
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Errorf("parseNodes = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestEnvInt(t *testing.T) {
	env := "# Written by the first `cluster.sh up`\nnodes=2\nshards=8\npg_user=postgres\n"
	if got := envInt(env, "shards"); got != 8 {
		t.Errorf("envInt(shards) = %d, want 8", got)
	}
	if got := envInt(env, "nodes"); got != 2 {
		t.Errorf("envInt(nodes) = %d, want 2", got)
	}
	if got := envInt(env, "missing"); got != 0 {
		t.Errorf("envInt(missing) = %d, want 0", got)
	}
}

func TestPerTick(t *testing.T) {
	before := map[string]time.Duration{"node1": time.Second, "node2": 2 * time.Second, "postgres": 0, "worker": 500 * time.Millisecond}
	after := map[string]time.Duration{"node1": 3 * time.Second, "node2": 3 * time.Second, "postgres": time.Second, "worker": 1500 * time.Millisecond}
	total, by := perTick(cpuDelta(before, after), 1000)
	if want := 5.0; total != want {
		t.Errorf("perTick total = %v ms, want %v", total, want)
	}
	if want := map[string]float64{"node1": 2, "node2": 1, "postgres": 1, "worker": 1}; !maps.Equal(by, want) {
		t.Errorf("perTick by process = %v, want %v", by, want)
	}
	if total, by := perTick(map[string]time.Duration{"bench": time.Second}, 100); total != 10 || by != nil {
		t.Errorf("perTick of one process = %v, %v; want 10 and no split", total, by)
	}
	if total, by := perTick(after, 0); total != 0 || by != nil {
		t.Errorf("perTick of no tick = %v, %v; want 0 and nothing", total, by)
	}
	if got, want := cpuText(map[string]float64{"worker": 1, "node1": 2.345}), "node1 2.35, worker 1.00"; got != want {
		t.Errorf("cpuText = %q, want %q", got, want)
	}
}

package cluster_test

// What the servers' logs (DIR/node<N>/temporal.log, one JSON object a line) say of the history
// shards changing hands.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// logLine is what the tests read of a server's log line.
type logLine struct {
	TS        time.Time `json:"ts"`
	Msg       string    `json:"msg"`
	ShardID   int       `json:"shard-id"`
	Component string    `json:"component"`
	Lifecycle string    `json:"lifecycle"`
}

// shardMoves are the shards that each node took (the server's "Acquired shard") and let go
// (its shard context "Stopped") from since to until.
type shardMoves struct {
	acquired, released map[int][]int // by node, the shard ids in log order
	// first and last are when the first and the last of those shards were acquired.
	first, last time.Time
}

// when says when the shards were acquired, relative to t.
func (m shardMoves) when(t time.Time) string {
	if m.first.IsZero() {
		return "none acquired"
	}
	return fmt.Sprintf("acquired from +%v to +%v", m.first.Sub(t).Round(time.Millisecond), m.last.Sub(t).Round(time.Millisecond))
}

// count is how many shards the nodes took.
func (m shardMoves) count() int {
	n := 0
	for _, ids := range m.acquired {
		n += len(ids)
	}
	return n
}

func (m shardMoves) String() string {
	var parts []string
	for _, what := range []struct {
		verb string
		by   map[int][]int
	}{{"acquired", m.acquired}, {"released", m.released}} {
		for _, node := range slices.Sorted(maps.Keys(what.by)) {
			parts = append(parts, fmt.Sprintf("node %d %s %d %v", node, what.verb, len(what.by[node]), what.by[node]))
		}
	}
	if len(parts) == 0 {
		return "no shard moved"
	}
	return strings.Join(parts, "; ")
}

// shardMoves reads every node's log for the shards that moved from since to until.
func (c *testCluster) shardMoves(since, until time.Time) shardMoves {
	m := shardMoves{acquired: map[int][]int{}, released: map[int][]int{}}
	for node := 1; node <= len(c.nodes); node++ {
		f, err := os.Open(filepath.Join(c.dir, fmt.Sprintf("node%d", node), "temporal.log"))
		if err != nil {
			c.t.Errorf("node %d's log: %v", node, err)
			continue
		}
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			b := s.Bytes()
			if !strings.Contains(string(b), `"shard-id"`) {
				continue
			}
			var l logLine
			if json.Unmarshal(b, &l) != nil || l.TS.Before(since) || l.TS.After(until) {
				continue
			}
			switch {
			case l.Msg == "Acquired shard":
				m.acquired[node] = append(m.acquired[node], l.ShardID)
				if m.first.IsZero() || l.TS.Before(m.first) {
					m.first = l.TS
				}
				if l.TS.After(m.last) {
					m.last = l.TS
				}
			case l.Component == "shard-context" && l.Lifecycle == "Stopped":
				m.released[node] = append(m.released[node], l.ShardID)
			}
		}
		f.Close()
	}
	return m
}

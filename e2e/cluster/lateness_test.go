package cluster_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// latenessWindow is how long TestLateness measures each dynamic config. make test runs it
// briefly; docs/cluster.md has the figures of longer windows:
//
//	CGO_ENABLED=0 go test -count=1 -v -run TestLateness ./e2e/cluster/ -lateness-window 60s
var latenessWindow = flag.Duration("lateness-window", 15*time.Second, "how long TestLateness measures each dynamic config")

// TestLateness measures how late ticks arrive on the cluster with our dynamic config and with
// Temporal's stock one (no key set), each on the same cluster, restarted between the two: a
// few sources at 1 s and a few at 250 ms, with a worker on each node. Lateness is a tick's
// arrival at the sink minus its scheduled time. It logs p50, p99 and max; it asserts only
// that every tick arrived, in order and with its id, since this machine is shared and its
// timings are noisy.
func TestLateness(t *testing.T) {
	if pgMissing != "" {
		t.Skip(pgMissing)
	}
	stock := filepath.Join(t.TempDir(), "stock.yaml")
	if err := os.WriteFile(stock, []byte("# Temporal's stock dynamic config: no key set, every default.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := validateDynamicConfig(t, stock); len(problems) > 0 {
		t.Fatalf("the stock dynamic config: %v", problems)
	}
	c := upCluster(t)
	var table, cpu []string
	for i, cfg := range []struct{ name, file string }{{"ours", ""}, {"stock", stock}} {
		if i > 0 {
			c.down()
			c.up("CLUSTER_DYNAMIC_CONFIG=" + cfg.file)
		}
		c.awaitMembers()
		lines, used := measureLateness(t, c, cfg.name)
		table, cpu = append(table, lines...), append(cpu, used)
	}
	t.Logf("lateness on the 2-node cluster, %v windows:\n%-6s %-8s %7s %6s %8s %8s %8s\n%s\n%s", *latenessWindow,
		"config", "interval", "sources", "ticks", "p50", "p99", "max", strings.Join(table, "\n"), strings.Join(cpu, "\n"))
}

// measureLateness runs 4 sources at 1 s and 4 at 250 ms for the window after a 3 s warm-up,
// checks their streams, and returns a line of figures per interval and one of the CPU that the
// cluster used.
func measureLateness(t *testing.T, c *testCluster, config string) (lines []string, cpu string) {
	t.Helper()
	const perInterval = 4
	intervals := []time.Duration{time.Second, 250 * time.Millisecond}
	queue := "lateness-" + config
	sink := newSink(t)
	workers := []*workerProc{startWorker(t, c.nodes[0], queue, sink.URL), startWorker(t, c.nodes[1], queue, sink.URL)}
	idsBy := map[time.Duration][]string{}
	var all []string
	for _, iv := range intervals {
		idsBy[iv] = sourceIDs(fmt.Sprintf("%s-%v", config, iv), perInterval)
		all = append(all, idsBy[iv]...)
		startSources(t, c.nodes, queue, iv, idsBy[iv])
	}
	from := time.Now().Add(3 * time.Second)
	until := from.Add(*latenessWindow)
	time.Sleep(time.Until(from))
	servers0, postgres0 := c.cpu()
	time.Sleep(time.Until(until))
	servers1, postgres1 := c.cpu()
	sink.awaitTicksAfter(t, all, until, 2*time.Minute)
	stopSources(t, c.nodes[0], all)
	for _, w := range workers {
		w.stop()
	}
	// What the same cluster uses with nothing to do: the queues' reads.
	const idle = 5 * time.Second
	time.Sleep(time.Second)
	idleServers0, idlePostgres0 := c.cpu()
	time.Sleep(idle)
	idleServers1, idlePostgres1 := c.cpu()

	firsts := sink.firsts()
	for _, iv := range intervals {
		problems, _ := sink.judge(idsBy[iv], iv)
		for _, p := range problems {
			t.Errorf("%s, %v: %s", config, iv, p)
		}
		var late []time.Duration
		for _, id := range idsBy[iv] {
			for _, k := range firsts[id] {
				if !k.scheduled.Before(from) && k.scheduled.Before(until) {
					late = append(late, k.lateness())
				}
			}
		}
		p50, p99, most := percentiles(late)
		lines = append(lines, fmt.Sprintf("%-6s %-8v %7d %6d %8v %8v %8v", config, iv, perInterval, len(late),
			p50.Round(time.Millisecond), p99.Round(time.Millisecond), most.Round(time.Millisecond)))
	}
	share := func(d, of time.Duration) string { return fmt.Sprintf("%.0f%%", 100*d.Seconds()/of.Seconds()) }
	cpu = fmt.Sprintf("%s: CPU, ticking (%d ticks/s) then idle: the two servers %s then %s of a core, PostgreSQL %s then %s",
		config, perInterval*(1+4), share(servers1-servers0, *latenessWindow), share(idleServers1-idleServers0, idle),
		share(postgres1-postgres0, *latenessWindow), share(idlePostgres1-idlePostgres0, idle))
	return lines, cpu
}

package cluster_test

// The tests' own sink, which records every tick with when it arrived, and the judge of what it
// saw: per source, a contiguous sequence with stable ids on the interval's grid.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// tick is one CloudEvent that reached the sink.
type tick struct {
	source    string // the source's workflow id, from the event's default data
	id        string
	seq       int
	scheduled time.Time // the event's time
	at        time.Time // when it arrived
	path      string    // the URL path it was posted to: which worker sent it
}

func (k tick) lateness() time.Duration { return k.at.Sub(k.scheduled) }

// sink answers 200 to every CloudEvent POST and keeps it.
type sink struct {
	URL string

	mu    sync.Mutex
	ticks []tick
	bad   []string // what was not a source's CloudEvent POST
}

// newSink serves a sink on 127.0.0.1 until the test ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	e, err := cehttp.NewEventFromHTTPRequest(req)
	var data struct {
		ID string `json:"Id"` // the default data's workflow id
	}
	if err == nil {
		err = json.Unmarshal(e.Data(), &data)
	}
	var seq int
	if err == nil {
		seq, err = strconv.Atoi(fmt.Sprint(e.Extensions()["sequence"]))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || req.Method != http.MethodPost || data.ID == "" {
		s.bad = append(s.bad, fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
		http.Error(w, "not a source's CloudEvent POST", http.StatusBadRequest)
		return
	}
	s.ticks = append(s.ticks, tick{source: data.ID, id: e.ID(), seq: seq, scheduled: e.Time(), at: at, path: req.URL.Path})
}

// all is every tick so far, in the order they arrived.
func (s *sink) all() []tick {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ticks)
}

// firsts is each source's first arrival of each tick, in sequence order.
func (s *sink) firsts() map[string][]tick {
	seen := map[string]bool{}
	by := map[string][]tick{}
	for _, k := range s.all() {
		key := k.source + " " + strconv.Itoa(k.seq)
		if !seen[key] {
			seen[key] = true
			by[k.source] = append(by[k.source], k)
		}
	}
	for _, ks := range by {
		slices.SortFunc(ks, func(a, b tick) int { return a.seq - b.seq })
	}
	return by
}

// awaitTicksAfter waits until each of the sources has a tick scheduled at or after since, and
// returns when the last of them arrived.
func (s *sink) awaitTicksAfter(t *testing.T, sources []string, since time.Time, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var last time.Time
		var behind []string
		firsts := s.firsts()
		for _, src := range sources {
			i := slices.IndexFunc(firsts[src], func(k tick) bool { return !k.scheduled.Before(since) })
			if i < 0 {
				behind = append(behind, src)
				continue
			}
			if at := firsts[src][i].at; at.After(last) {
				last = at
			}
		}
		if len(behind) == 0 {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sources have no tick scheduled at or after %s within %v: %v",
				len(behind), since.Format("15:04:05.000"), within, behind)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// judge checks what the sink got from each of the sources, ticking every interval: sequences
// from 1 with no gap, first arrivals in sequence order, one id per sequence (the source's
// first run id and the sequence) and one time, on the interval's grid; a tick that arrived
// again is the same id with the same time. It returns the problems, and how many ticks arrived
// again.
func (s *sink) judge(sources []string, interval time.Duration) (problems []string, redeliveries int) {
	type first struct {
		id        string
		scheduled time.Time
	}
	bySource := map[string][]tick{}
	for _, k := range s.all() {
		bySource[k.source] = append(bySource[k.source], k)
	}
	for _, src := range sources {
		ticks := bySource[src]
		if len(ticks) == 0 {
			problems = append(problems, src+": no tick")
			continue
		}
		seen := map[int]first{}
		prefix := ticks[0].id[:max(strings.LastIndexByte(ticks[0].id, '-'), 0)] // a run id, with dashes
		lastSeq := 0
		for _, k := range ticks {
			if k.id != prefix+"-"+strconv.Itoa(k.seq) {
				problems = append(problems, fmt.Sprintf("%s: tick %d has id %q, want %s-%d", src, k.seq, k.id, prefix, k.seq))
			}
			if f, ok := seen[k.seq]; ok {
				redeliveries++
				if f.id != k.id || !f.scheduled.Equal(k.scheduled) {
					problems = append(problems, fmt.Sprintf("%s: tick %d arrived as %s at %s, then as %s at %s",
						src, k.seq, f.id, f.scheduled.Format(time.RFC3339Nano), k.id, k.scheduled.Format(time.RFC3339Nano)))
				}
				continue
			}
			seen[k.seq] = first{k.id, k.scheduled}
			if k.seq != lastSeq+1 {
				problems = append(problems, fmt.Sprintf("%s: tick %d arrived first after tick %d", src, k.seq, lastSeq))
			}
			lastSeq = max(lastSeq, k.seq)
		}
		one, ok := seen[1]
		if !ok {
			continue // reported above
		}
		for seq := 2; seq <= lastSeq; seq++ {
			f, ok := seen[seq]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: tick %d is missing (up to %d arrived)", src, seq, lastSeq))
				continue
			}
			if want := one.scheduled.Add(time.Duration(seq-1) * interval); !f.scheduled.Equal(want) {
				problems = append(problems, fmt.Sprintf("%s: tick %d is for %s, want %s (tick 1's time + %d × %v)",
					src, seq, f.scheduled.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano), seq-1, interval))
			}
		}
	}
	s.mu.Lock()
	for _, b := range s.bad {
		problems = append(problems, "not a tick: "+b)
	}
	s.mu.Unlock()
	return problems, redeliveries
}

// disruption is what the sources went through around a fault, from the first arrivals of their
// ticks.
type disruption struct {
	// silence is the longest any source went without a new tick across the fault: between a
	// tick that arrived before the fault ended and the next, which arrived after it began.
	silence time.Duration
	// backAfter is how long after the fault ended every source had a new tick.
	backAfter time.Duration
	// affected counts the sources that went more than two intervals without a tick.
	affected int
	// lateness is the most that a tick scheduled during the fault, or in the silence after it,
	// arrived after its time.
	lateness time.Duration
	// worst are the longest silences, one per source, longest first.
	worst []silence
}

// silence is a source's longest time without a tick across a fault.
type silence struct {
	source   string
	from, to time.Time // the arrivals of the ticks before and after
}

func (d disruption) String() string {
	return fmt.Sprintf("longest silence %v, every source ticked again within %v of the fault's end, %d sources silent for more than 2 intervals, max lateness %v",
		d.silence.Round(time.Millisecond), d.backAfter.Round(time.Millisecond), d.affected, d.lateness.Round(time.Millisecond))
}

// worstSince lists the longest silences, n at most, relative to when the fault began.
func (d disruption) worstSince(began time.Time, n int) string {
	var parts []string
	for _, s := range d.worst[:min(n, len(d.worst))] {
		parts = append(parts, fmt.Sprintf("%s %v (+%v to +%v)", s.source, s.to.Sub(s.from).Round(time.Millisecond),
			s.from.Sub(began).Round(time.Millisecond), s.to.Sub(began).Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// disrupted measures the disruption of a fault from began to ended on the sources.
func (s *sink) disrupted(sources []string, interval time.Duration, began, ended time.Time) disruption {
	var d disruption
	firsts := s.firsts()
	for _, src := range sources {
		ticks := slices.Clone(firsts[src])
		slices.SortFunc(ticks, func(a, b tick) int { return a.at.Compare(b.at) })
		worst := silence{source: src}
		back := time.Duration(0)
		for i := 1; i < len(ticks); i++ {
			prev, next := ticks[i-1], ticks[i]
			if next.at.Before(began) || prev.at.After(ended) {
				continue
			}
			if next.at.Sub(prev.at) > worst.to.Sub(worst.from) {
				worst.from, worst.to = prev.at, next.at
			}
			if back == 0 && next.at.After(ended) {
				back = next.at.Sub(ended)
			}
		}
		longest := worst.to.Sub(worst.from)
		d.worst = append(d.worst, worst)
		d.silence = max(d.silence, longest)
		d.backAfter = max(d.backAfter, back)
		if longest > 2*interval {
			d.affected++
		}
		for _, k := range ticks {
			if !k.scheduled.Before(began) && !k.scheduled.After(ended.Add(longest)) {
				d.lateness = max(d.lateness, k.lateness())
			}
		}
	}
	slices.SortFunc(d.worst, func(a, b silence) int { return cmp.Compare(b.to.Sub(b.from), a.to.Sub(a.from)) })
	return d
}

// percentiles returns the p50, p99 and max of ds, nearest rank.
func percentiles(ds []time.Duration) (p50, p99, maximum time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.50), rank(0.99), s[len(s)-1]
}

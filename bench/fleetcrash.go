package main

import (
	"context"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// fleetCrash is how a fleet came back from a kill -9 of one of its processes: how long after
// the kill the first source ticked again, and the last; how late the first tick of each source
// due after the kill was (p99, max); how many did not tick within two intervals; and how many
// ticks of the whole run never arrived (gaps in a source's sequence: 0 expected).
type fleetCrash struct {
	Killed        string  `json:"killed"`
	FirstBackMs   float64 `json:"firstBackMs"`
	AllBackMs     float64 `json:"allBackMs"`
	LatenessP99Ms float64 `json:"latenessP99Ms"`
	LatenessMaxMs float64 `json:"latenessMaxMs"`
	NotBack       int     `json:"notBack"`
	Lost          int     `json:"lost"`
}

// crash kills the worker or the devserver of s with kill -9, starts it again at once, and
// after two intervals says how the fleet of n sources came back.
func crash(ctx context.Context, s *stack, rec *recorder, n int, every time.Duration, which string) (fleetCrash, error) {
	r := fleetCrash{Killed: which}
	killed := time.Now()
	var err error
	if which == "worker" {
		s.worker.stop(syscall.SIGKILL)
		err = s.startWorker()
	} else {
		s.dev.stop(syscall.SIGKILL)
		err = s.startDev()
	}
	if err != nil {
		return r, err
	}
	if err := sleepUntil(ctx, killed.Add(2*every)); err != nil {
		return r, err
	}
	arrivals := rec.snapshot()
	back := map[string]arrival{} // each source's first tick due after the kill
	for _, a := range arrivals {
		if a.scheduled.Before(killed) {
			continue
		}
		if b, ok := back[a.source]; !ok || a.scheduled.Before(b.scheduled) {
			back[a.source] = a
		}
	}
	var late []float64
	var first, last time.Time
	for _, a := range back {
		late = append(late, ms(a.at.Sub(a.scheduled)))
		if first.IsZero() || a.at.Before(first) {
			first = a.at
		}
		if a.at.After(last) {
			last = a.at
		}
	}
	sort.Float64s(late)
	r.NotBack = n - len(back)
	if len(late) > 0 {
		r.FirstBackMs, r.AllBackMs = ms(first.Sub(killed)), ms(last.Sub(killed))
		r.LatenessP99Ms, r.LatenessMaxMs = percentile(late, 0.99), late[len(late)-1]
	}
	r.Lost = gaps(arrivals)
	return r, nil
}

// gaps counts the sequence numbers missing below each source's highest: ticks never delivered.
func gaps(arrivals []arrival) int {
	seqs := map[string]map[int64]bool{}
	for _, a := range arrivals {
		seq, err := strconv.ParseInt(a.seq, 10, 64)
		if err != nil {
			continue
		}
		if seqs[a.source] == nil {
			seqs[a.source] = map[int64]bool{}
		}
		seqs[a.source][seq] = true
	}
	missing := 0
	for _, got := range seqs {
		var top int64
		for seq := range got {
			top = max(top, seq)
		}
		missing += int(top) - len(got)
	}
	return missing
}

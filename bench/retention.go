package main

// The retention scenario (issue 19): the database file under a steady load of sources whose runs
// close often, on the devserver's shortest retention. Temporal deletes a closed run once the
// retention has passed, at a random time within retentionJitter after it, and SQLite reuses the
// pages it frees, so the file must stop growing once the retention and the jitter have passed
// since the first runs closed.

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/pflag"
	_ "modernc.org/sqlite" // to read the devserver's file

	"github.com/hello-cron/cronsource/workflows"
)

// The retention scenario's load: sources at 1 s whose runs close every retentionRunTicks ticks,
// on a devserver with retentionPeriod.
const (
	retentionRunTicks = 20
	retentionPeriod   = time.Hour
	// retentionJitter is the server's history.retentionTimerJitterDuration, which the devserver
	// leaves at Temporal's default.
	retentionJitter = 30 * time.Minute
)

// retentionResult is the file's size each minute of the retention scenario.
type retentionResult struct {
	Sources            int    `json:"sources"`
	ContinueAsNewAfter int    `json:"continueAsNewAfter"`
	Retention          string `json:"retention"`
	// SamplesMiB is the file's size, with its WAL, at the first tick and each minute after.
	SamplesMiB []float64 `json:"samplesMiB"`
	// FirstMiBPerHour and LastMiBPerHour are its growth over the first and the last quarter hour.
	FirstMiBPerHour float64 `json:"firstMiBPerHour"`
	LastMiBPerHour  float64 `json:"lastMiBPerHour"`
	// Pages and FreePages are the file's pages at the end and those free for SQLite to reuse
	// (the devserver keeps auto_vacuum off: the file does not shrink); Executions are the runs
	// the database holds, open and closed.
	Pages      int64 `json:"pages"`
	FreePages  int64 `json:"freePages"`
	Executions int64 `json:"executions"`
}

func (o *options) addRetentionFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.retentionSources, "retention-sources", 20, "sources at 1 s of the retention scenario")
	fs.DurationVar(&o.retentionFor, "retention-for", 110*time.Minute,
		"how long the retention scenario runs: at least the retention (1h), the server's jitter of deletions (30m) and a quarter hour")
}

// checkRetention refuses a retention scenario, if asked for, too short to see the first deletions.
func (o *options) checkRetention() error {
	switch {
	case !slices.Contains(o.only, "retention"):
		return nil
	case o.retentionSources < 1:
		return fmt.Errorf("invalid --retention-sources %d: must be at least 1", o.retentionSources)
	case o.retentionFor < retentionPeriod+retentionJitter+15*time.Minute:
		return fmt.Errorf("invalid --retention-for %v: must be at least %v, the retention, the jitter of deletions and a quarter hour",
			o.retentionFor, retentionPeriod+retentionJitter+15*time.Minute)
	}
	return nil
}

// retention runs o.retentionSources sources at 1 s, each run closing after retentionRunTicks
// ticks, on a fresh devserver with retentionPeriod, for o.retentionFor, and samples the file.
func (o *options) retention(ctx context.Context, rec *recorder) (retentionResult, error) {
	r := retentionResult{Sources: o.retentionSources, ContinueAsNewAfter: retentionRunTicks, Retention: retentionPeriod.String()}
	s, err := launchStack(ctx, &stack{binDir: o.binDir, shift: o.timerShift, sink: rec.url,
		devFlags: append(slices.Clone(o.devFlags), "--retention="+retentionPeriod.String()), workerFlags: o.workerFlags})
	if err != nil {
		return r, err
	}
	defer s.close()
	first := time.Now().Add(5 * time.Second).Truncate(time.Second)
	for i := range o.retentionSources {
		cfg := workflows.Config{Interval: time.Second, ContinueAsNewAfter: retentionRunTicks, StartAt: first,
			Source: fmt.Sprintf("urn:bench:%d", i)}
		if _, err := s.client.ExecuteWorkflow(ctx, workflows.StartOptions(fmt.Sprintf("retention-%d", i), "hello-cron"),
			workflows.CronSource, workflows.Input{Config: cfg}); err != nil {
			return r, fmt.Errorf("start source %d: %w", i, err)
		}
	}
	db := filepath.Join(s.dir, "temporal.db")
	for at := first; !at.After(first.Add(o.retentionFor)); at = at.Add(time.Minute) {
		if err := sleepUntil(ctx, at); err != nil {
			return r, err
		}
		r.SamplesMiB = append(r.SamplesMiB, fileMiB(db))
		if n := len(r.SamplesMiB); n%10 == 1 {
			progress("retention: minute %d, file %.1f MiB", n-1, r.SamplesMiB[n-1])
		}
	}
	if err := dbStats(db, &r); err != nil {
		return r, err
	}
	const quarter = 15 // samples a minute apart
	if n := len(r.SamplesMiB); n > quarter {
		r.FirstMiBPerHour = (r.SamplesMiB[quarter] - r.SamplesMiB[0]) * 60 / quarter
		r.LastMiBPerHour = (r.SamplesMiB[n-1] - r.SamplesMiB[n-1-quarter]) * 60 / quarter
	}
	return r, nil
}

// dbStats reads the page counts and the runs of the devserver's file, read-only while it runs.
func dbStats(path string, r *retentionResult) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	for _, q := range []struct {
		query string
		into  *int64
	}{
		{"PRAGMA page_count", &r.Pages}, {"PRAGMA freelist_count", &r.FreePages}, {"SELECT count(*) FROM executions", &r.Executions},
	} {
		if err := db.QueryRow(q.query).Scan(q.into); err != nil {
			return fmt.Errorf("%s on %s: %w", q.query, path, err)
		}
	}
	return nil
}
